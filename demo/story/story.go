// Package story holds what podinit's two demos share: a narrator that
// stamps each line with the time since the demo began, and a service
// registry on 127.0.0.1 that tells each call it gets.
package story

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Narrator prints the demo's lines, from any goroutine, in the order they
// come.
type Narrator struct {
	start time.Time
	mu    sync.Mutex
}

// NewNarrator begins the demo's clock.
func NewNarrator() *Narrator { return &Narrator{start: time.Now()} }

// Say prints one line, stamped with the seconds since the demo began.
func (n *Narrator) Say(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Printf("%7.3fs  %s\n", time.Since(n.start).Seconds(), fmt.Sprintf(format, args...))
}

// Lines calls fn with each line r gives, until r ends.
func Lines(r io.Reader, fn func(line string)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fn(sc.Text())
	}
}

// Await waits until every one of events is closed, at most timeout.
func Await(timeout time.Duration, events ...<-chan struct{}) error {
	deadline := time.After(timeout)
	for _, ev := range events {
		select {
		case <-ev:
		case <-deadline:
			return fmt.Errorf("the app was not up and registered within %s", timeout)
		}
	}
	return nil
}

// Registry is a Eureka-like service registry that says every call it gets.
type Registry struct {
	*httptest.Server
	// Registered is closed at the first call that marks an instance UP.
	Registered <-chan struct{}
}

// NewRegistry serves the registry on 127.0.0.1; n says its calls.
func NewRegistry(n *Narrator) *Registry {
	registered := make(chan struct{})
	var once sync.Once
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Say("registry: %s %s", r.Method, r.URL.RequestURI())
		if strings.HasSuffix(r.URL.RawQuery, "value=UP") {
			once.Do(func() { close(registered) })
		}
	}))
	return &Registry{Server: server, Registered: registered}
}

// StatusURL is the URL that sets the status of instance ${HOSTNAME} of app;
// the status itself ends it.
func (r *Registry) StatusURL(app string) string {
	return r.URL + "/eureka/apps/" + app + "/${HOSTNAME}/status?value="
}
