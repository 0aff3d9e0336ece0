// Command testapp is the application inside the end-to-end tests' containers:
// a small static program that behaves like the apps podinit supervises.
//
//	testapp serve PORT [EXIT-CODE [REPORT-URL]]
//	    answer HTTP on 127.0.0.1:PORT until SIGTERM, SIGINT or SIGQUIT, then
//	    GET REPORT-URL?signal=NAME (so the test's registry records when the
//	    signal arrived, on the same clock as the deregistration) and exit
//	    with EXIT-CODE (default 0)
//	testapp orphans
//	    leave short-lived grandchildren behind, then wait for a stop signal
//	    as serve does, without reaping anything but its own children
//	testapp hog
//	    allocate memory until the kernel's OOM killer ends it
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: testapp serve PORT [EXIT-CODE [REPORT-URL]] | orphans | hog")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "orphans":
		orphans()
	case "hog":
		hog()
	default:
		fail(fmt.Sprintf("unknown mode %q: expected serve, orphans or hog", os.Args[1]))
	}
}

func serve(args []string) {
	if len(args) < 1 {
		fail("serve: expected PORT")
	}
	code := 0
	if len(args) > 1 {
		var err error
		if code, err = strconv.Atoi(args[1]); err != nil {
			fail(fmt.Sprintf("serve: exit code %q: expected a number", args[1]))
		}
	}
	report := ""
	if len(args) > 2 {
		report = args[2]
	}
	stop := stopSignals()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", args[0]))
	if err != nil {
		fail(err.Error())
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	fmt.Printf("app: serving on %s as uid %d gid %d\n", ln.Addr(), os.Getuid(), os.Getgid())
	sig := <-stop
	fmt.Printf("app: got %s\n", signalName(sig))
	if report != "" {
		if resp, err := http.Get(report + "?signal=" + signalName(sig)); err == nil {
			resp.Body.Close()
		} else {
			fmt.Printf("app: reporting the signal: %v\n", err)
		}
	}
	fmt.Printf("app: exiting with code %d\n", code)
	os.Exit(code)
}

// orphans starts shells that start sleeps and exit at once, so each sleep is
// re-parented to PID 1 and, when it ends, left for PID 1 to reap.
func orphans() {
	stop := stopSignals()
	for i := 0; i < 3; i++ {
		if err := exec.Command("sh", "-c", "sleep 0.1 & sleep 0.1 & exit 0").Run(); err != nil {
			fail(err.Error())
		}
	}
	fmt.Println("app: left 6 orphans behind")
	sig := <-stop
	fmt.Printf("app: got %s\n", signalName(sig))
}

// hoard keeps every chunk reachable, so none is ever freed.
var hoard [][]byte

func hog() {
	fmt.Println("app: allocating memory until the OOM killer ends it")
	for {
		chunk := make([]byte, 8<<20)
		for i := 0; i < len(chunk); i += 4096 {
			chunk[i] = 1
		}
		hoard = append(hoard, chunk)
		time.Sleep(time.Millisecond)
	}
}

func stopSignals() <-chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	return c
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return sig.String()
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testapp:", msg)
	os.Exit(2)
}
