package hooks

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// Step is one parsed step of a phase. Its words keep ${VAR} unexpanded until
// the step runs.
type Step struct {
	Text     string // as written, for the plan; Redacted for logs
	Kind     string
	Args     []string // the words after the kind, without the step's options
	Timeout  time.Duration
	Optional bool

	// http and wait-http
	Method  string
	Headers []string
	Data    string
	Expect  []codeRange
}

// ParseStep reads one step as written on the command line or in a plan.
func ParseStep(text string) (Step, error) {
	shown := redactText(text) // errors never carry a password
	words, err := splitWords(text)
	if err != nil {
		return Step{}, fmt.Errorf("step %q: %w", shown, err)
	}
	if len(words) == 0 {
		return Step{}, fmt.Errorf("step %q: empty: expected one of %s", shown, kindList())
	}
	s := Step{Text: text, Kind: words[0]}
	k, ok := kindOf(s.Kind)
	if !ok {
		return Step{}, fmt.Errorf("step %q: unknown step %q: expected one of %s", shown, s.Kind, kindList())
	}
	if err := s.parseArgs(k, words[1:]); err != nil {
		return Step{}, fmt.Errorf("step %q: %w (usage: %s)", shown, err, k.usage)
	}
	if err := s.check(placeholder); err != nil {
		return Step{}, fmt.Errorf("step %q: %w (usage: %s)", shown, err, k.usage)
	}
	return s, nil
}

// parseArgs takes the step's options out of words. An exec step's options
// come before its command: everything from the command on is the command's.
func (s *Step) parseArgs(k *kind, words []string) error {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if k.nargs < 0 && len(s.Args) > 0 {
			s.Args = append(s.Args, w)
			continue
		}
		value := func() (string, error) {
			if i+1 >= len(words) {
				return "", fmt.Errorf("%s needs a value", w)
			}
			i++
			return words[i], nil
		}
		var err error
		switch w {
		case "--optional":
			s.Optional = true
		case "--timeout":
			var v string
			if v, err = value(); err == nil {
				s.Timeout, err = parseDuration("--timeout", v)
			}
		case "--header", "-H":
			var v string
			if v, err = value(); err == nil {
				s.Headers = append(s.Headers, v)
			}
		case "--data", "-d":
			s.Data, err = value()
		case "--expect":
			var v string
			if v, err = value(); err == nil {
				s.Expect, err = parseCodes(v)
			}
		default:
			if strings.HasPrefix(w, "--") {
				return fmt.Errorf("unknown option %q", w)
			}
			s.Args = append(s.Args, w)
		}
		if err != nil {
			return err
		}
	}
	if k.method && len(s.Args) == 2 {
		s.Method, s.Args = strings.ToUpper(s.Args[0]), s.Args[1:]
	}
	if s.Method == "" {
		s.Method = "GET"
	}
	if !k.http && (s.Headers != nil || s.Data != "" || s.Expect != nil) {
		return fmt.Errorf("--header, --data and --expect belong to http steps")
	}
	return nil
}

// check validates the step's arguments before the step runs, with lookup
// giving each ${VAR} a placeholder value; what only a variable's value can
// tell is checked when the step runs.
func (s *Step) check(lookup func(string) (string, bool)) error {
	args := make([]string, len(s.Args))
	variable := make([]bool, len(s.Args))
	for i, a := range s.Args {
		v, err := expand(a, lookup)
		if err != nil {
			return err
		}
		args[i], variable[i] = v, strings.Contains(a, "${")
	}
	k, ok := kindOf(s.Kind)
	if !ok {
		return fmt.Errorf("unknown step %q: expected one of %s", s.Kind, kindList())
	}
	switch {
	case k.nargs < 0 && len(args) == 0:
		return errors.New("no command")
	case k.nargs >= 0 && len(args) != k.nargs:
		return fmt.Errorf("expected %d argument(s), got %d", k.nargs, len(args))
	}
	if len(args) == 1 && variable[0] && !k.http {
		return nil // "signal ${STOPSIG}": its value is known only when the step runs
	}
	if k.check == nil {
		return nil
	}
	return k.check(s, args)
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func parseDuration(what, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: expected a duration of zero or more, such as 10s or 1m30s", what, v)
	}
	return d, nil
}

func parsePort(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q: expected a number from 1 to 65535", v)
	}
	return p, nil
}

func parseURL(v string) (*url.URL, error) {
	if !isHTTPURL(v) {
		return nil, urlError(v)
	}
	return url.Parse(v)
}

func isHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func urlError(v string) error {
	return fmt.Errorf("URL %q: expected an http:// or https:// URL such as http://registry:8761/path", redactURL(v))
}

// redactURL hides the password of a URL ("http://user:pass@host/") as
// url.URL.Redacted does, but on the text as written, so ${VAR} and odd
// characters stay readable and text that does not parse is covered too.
func redactURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return v
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return v
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return v
	}
	return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
}

// Redacted is the step as written with any password in a URL hidden.
func (s Step) Redacted() string { return redactText(s.Text) }

func redactText(text string) string {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = redactURL(w)
	}
	return strings.Join(words, " ")
}

// codeRange is an accepted HTTP status: 200, or 2xx as 200-299.
type codeRange struct{ lo, hi int }

func parseCodes(v string) ([]codeRange, error) {
	var out []codeRange
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if len(part) == 3 && strings.HasSuffix(part, "xx") && part[0] >= '1' && part[0] <= '5' {
			lo := int(part[0]-'0') * 100
			out = append(out, codeRange{lo, lo + 99})
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("--expect %q: expected status codes such as 200,204 or 2xx", v)
		}
		out = append(out, codeRange{n, n})
	}
	return out, nil
}

func (s Step) accepts(code int) bool {
	if s.Expect == nil {
		return code >= 200 && code <= 299
	}
	for _, r := range s.Expect {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// signal returns the signal of a signal step, expanded.
func (s Step) signal(lookup func(string) (string, bool)) (unix.Signal, error) {
	v, err := expand(s.Args[0], lookup)
	if err != nil {
		return 0, err
	}
	return signals.Parse(v)
}
