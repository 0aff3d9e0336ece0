// Package e2e tests podinit where its users run it: as the ENTRYPOINT of a
// real container, started, stopped, killed and exec'd into by podman with
// runc, as docker and kubelet's CRI calls do. The tests need root, podman,
// runc and busybox-static (make test installs them with
// scripts/install-deps); without them every test fails, saying what is
// missing.
package e2e
