package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/hooks"
	"github.com/podinit/podinit/signals"
)

// Flag values that check their input as it is parsed, so that a bad value is
// reported with the flag's name before anything starts.

type durationValue time.Duration

// String shows 0 as "0", which help takes for "no default".
func (d *durationValue) String() string {
	if *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}
func (d *durationValue) Type() string { return "duration" }
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: expected zero or more, such as 10s or 1m30s", s)
	}
	*d = durationValue(v)
	return nil
}

type signalValue unix.Signal

func (s *signalValue) String() string {
	if *s == 0 {
		return ""
	}
	return signals.Name(unix.Signal(*s))
}
func (s *signalValue) Type() string { return "signal" }
func (s *signalValue) Set(v string) error {
	sig, err := signals.Parse(v)
	if err != nil {
		return err
	}
	*s = signalValue(sig)
	return nil
}

// signalListValue collects repeated signals; the first Set replaces the default.
type signalListValue struct {
	sigs    []unix.Signal
	changed bool
}

func (l *signalListValue) String() string {
	names := make([]string, len(l.sigs))
	for i, s := range l.sigs {
		names[i] = strings.TrimPrefix(signals.Name(s), "SIG")
	}
	return strings.Join(names, ",")
}
func (l *signalListValue) Type() string { return "signal" }
func (l *signalListValue) Set(v string) error {
	sig, err := signals.Parse(v)
	if err != nil {
		return err
	}
	if !l.changed {
		l.sigs, l.changed = nil, true
	}
	l.sigs = append(l.sigs, sig)
	return nil
}

type rewriteValue signals.Rewrite

func (r rewriteValue) String() string {
	var pairs []string
	for from, to := range r {
		pairs = append(pairs, fmt.Sprintf("%d:%d", from, to))
	}
	return strings.Join(pairs, ",")
}
func (r rewriteValue) Type() string { return "FROM:TO" }
func (r rewriteValue) Set(v string) error {
	from, to, err := signals.ParseRewrite(v)
	if err != nil {
		return err
	}
	r[from] = to
	return nil
}

type exitCodesValue signals.ExitRemap

func (e exitCodesValue) String() string { return "" }
func (e exitCodesValue) Type() string   { return "code" }
func (e exitCodesValue) Set(v string) error {
	code, err := strconv.Atoi(v)
	if err != nil || code < 0 || code > 255 {
		return fmt.Errorf("exit code %q: expected a number from 0 to 255", v)
	}
	e[code] = true
	return nil
}

// setFromEnv gives every flag not set on the command line the value of its
// PODINIT_* variable (--stop-timeout reads PODINIT_STOP_TIMEOUT). A flag that
// can be repeated takes a comma-separated list. The flags named in
// commandLineOnly change what a command is for, and are never read from the
// environment.
func setFromEnv(fs *pflag.FlagSet, env environ, commandLineOnly ...string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || slices.Contains(commandLineOnly, f.Name) {
			return
		}
		name := envName(f.Name)
		v, ok := env.lookup(name)
		if !ok {
			return
		}
		values := []string{v}
		switch {
		case f.Value.Type() == "stringArray":
			values = hooks.SplitSteps(v) // steps: separated by ; or newlines
			// Check them here, so that a bad one is blamed on the variable
			// it came from rather than on the flag.
			for _, step := range values {
				if _, e := hooks.ParseStep(step); e != nil {
					err = fmt.Errorf("%s: %w", name, e)
					return
				}
			}
		case repeatable(f):
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if e := fs.Set(f.Name, strings.TrimSpace(one)); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, envReason(e))
				return
			}
		}
	})
	return err
}

func envName(flag string) string {
	return "PODINIT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func repeatable(f *pflag.Flag) bool {
	switch f.Value.(type) {
	case rewriteValue, exitCodesValue, *signalListValue:
		return true
	}
	return false
}

// flagError rewords pflag's `invalid argument "X" for "-r, --rewrite" flag:
// REASON` as `--rewrite: REASON`: every REASON here already names the value.
func flagError(err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "invalid argument ")
	if !ok {
		return err
	}
	_, rest, _ = strings.Cut(rest, ` for "`)
	flags, reason, ok := strings.Cut(rest, `" flag: `)
	if !ok {
		return err
	}
	if i := strings.LastIndex(flags, ", "); i >= 0 {
		flags = flags[i+2:]
	}
	if strings.HasPrefix(reason, "strconv.ParseBool") {
		reason = "expected true or false"
	}
	return fmt.Errorf("%s: %s", flags, reason)
}

// envReason is the REASON of a flag error, for a value that came from the environment.
func envReason(err error) error {
	msg := flagError(err).Error()
	if _, reason, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "-") {
		return fmt.Errorf("%s", reason)
	}
	return err
}
