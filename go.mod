module github.com/podinit/podinit

go 1.26.8

require (
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/spf13/pflag v1.0.10
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.49.0
)

require github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
