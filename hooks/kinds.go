package hooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/podinit/podinit/signals"
)

// kind is one kind of step, with everything that differs from one kind to
// another: adding a kind is adding an entry here.
type kind struct {
	name  string
	usage string // for the error a bad step gets
	// nargs is how many arguments the step takes after its options; -1
	// means one or more (exec's command and its arguments).
	nargs int
	// http says the step takes --header, --data and --expect; method,
	// that its first of two arguments is the HTTP method.
	http, method bool
	// check validates the arguments as written, args expanded with
	// placeholders for ${VAR}; nil checks nothing beyond nargs.
	check func(s *Step, args []string) error
	run   stepFunc
	// worst is how long the step can take without a --timeout; nil means
	// it can wait forever.
	worst func(s Step) time.Duration
}

type stepFunc func(r *Runner, ctx context.Context, s Step, args []string, output func(string)) (string, error)

// kinds lists the step kinds in the order the help names them.
var kinds []kind

func init() {
	kinds = []kind{
		{name: "exec", usage: "exec [--timeout D] [--optional] CMD [ARGS...]", nargs: -1, check: checkExec, run: runExec},
		{name: "http", usage: "http [METHOD] URL [--header K:V] [--data BODY] [--expect CODES]", nargs: 1, http: true,
			method: true, check: checkHTTP, run: runHTTP},
		{name: "sleep", usage: "sleep D", nargs: 1, check: checkSleep, run: runSleep, worst: sleepLength},
		{name: "wait-tcp", usage: "wait-tcp HOST:PORT", nargs: 1, check: checkAddress, run: runWaitTCP},
		{name: "wait-http", usage: "wait-http URL [--expect CODES]", nargs: 1, http: true, check: checkHTTP, run: runWaitHTTP},
		{name: "wait-drain", usage: "wait-drain PORT", nargs: 1, check: checkPort, run: runWaitDrain},
		{name: "signal", usage: "signal SIG", nargs: 1, check: checkSignal, run: runSignal,
			worst: func(Step) time.Duration { return 0 }},
		{name: "wait-exit", usage: "wait-exit", nargs: 0, run: runWaitExit},
	}
}

// kindOf finds the kind named name.
func kindOf(name string) (*kind, bool) {
	for i := range kinds {
		if kinds[i].name == name {
			return &kinds[i], true
		}
	}
	return nil, false
}

// kindList names every kind, for an error: "exec, http, ... or wait-exit".
func kindList() string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// WorstCase is the longest step can take: its timeout, a sleep's length, an
// immediate step's nothing, or Unbounded for a wait with no timeout.
func (s Step) WorstCase() time.Duration {
	k, ok := kindOf(s.Kind)
	worst := Unbounded
	if ok && k.worst != nil {
		worst = k.worst(s)
	}
	if s.Timeout > 0 && (worst == Unbounded || worst > s.Timeout) {
		return s.Timeout
	}
	return worst
}

func sleepLength(s Step) time.Duration {
	if d, err := parseDuration("sleep", s.Args[0]); err == nil {
		return d
	}
	return Unbounded // "sleep ${D}": known only when it runs
}

func checkExec(_ *Step, args []string) error {
	if args[0] == "" {
		return errors.New("no command")
	}
	return nil
}

func checkHTTP(s *Step, args []string) error {
	// "${REGISTRY}/eureka/apps": the variable holds the scheme and the
	// host, so the URL can be checked only when the step runs.
	if !strings.HasPrefix(s.Args[0], "${") && !isHTTPURL(args[0]) {
		return urlError(s.Args[0])
	}
	if !validMethod(s.Method) {
		return fmt.Errorf("method %q: expected a word such as GET, PUT, POST or DELETE", s.Method)
	}
	for _, h := range s.Headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("header %q: expected NAME:VALUE", h)
		}
	}
	return nil
}

func checkSleep(_ *Step, args []string) error {
	_, err := parseDuration("sleep", args[0])
	return err
}

func checkAddress(_ *Step, args []string) error {
	host, port, err := net.SplitHostPort(args[0])
	if err != nil || host == "" {
		return fmt.Errorf("address %q: expected HOST:PORT", args[0])
	}
	_, err = parsePort(port)
	return err
}

func checkPort(_ *Step, args []string) error {
	_, err := parsePort(args[0])
	return err
}

func checkSignal(_ *Step, args []string) error {
	_, err := signals.Parse(args[0])
	return err
}
