// Command floorhttp is the bench's floor init (see ../floor) with
// github.com/hashicorp/go-retryablehttp linked in and reachable, as podinit
// has it: one static binary with its HTTP client included. The client runs
// only when FLOORHTTP_URL is set, which the bench never does; the code path
// is there so that the linker keeps net/http, crypto/tls and their package
// initialisation, which every start then pays.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/podinit/podinit/bench/internal/initloop"
)

func main() {
	if url := os.Getenv("FLOORHTTP_URL"); url != "" {
		resp, err := retryablehttp.Get(url)
		if err != nil {
			fmt.Fprintf(os.Stderr, "floorhttp: %v\n", err)
			os.Exit(1)
		}
		resp.Body.Close()
		fmt.Fprintf(os.Stderr, "floorhttp: GET %s: %s\n", url, resp.Status)
	}
	initloop.Run()
}
