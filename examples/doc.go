// Package examples holds podinit in five realistic deployments, one folder
// each with a pod.yaml, a Dockerfile and a README.md, and a test that checks
// every podinit command line in them with podinit's own parser.
package examples
