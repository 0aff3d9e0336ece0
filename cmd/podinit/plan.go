package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/podinit/podinit/hooks"
)

// runPlan is `podinit plan`: it reads the same flags and PODINIT_* variables
// as a run, prints the plan with each step's worst case, and warns when the
// worst case of prestop and the app's stop exceeds the grace period. With
// --strict a warning is an error (exit 1), for CI checks of an image.
func runPlan(args []string, env environ) int {
	fs, f := newPodinitFlags()
	strict := fs.Bool("strict", false, "exit 1 when the plan draws a warning")
	usageError := func(err error) int {
		fmt.Fprintf(stderr, "podinit plan: %v (see podinit --help)\n", err)
		return 2
	}
	fs.SetInterspersed(true)
	if err := fs.Parse(args); err != nil {
		return usageError(flagError(err))
	}
	if err := setFromEnv(fs, env); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Errorf("unexpected argument %q: podinit plan takes flags only", fs.Arg(0)))
	}
	if _, err := hooks.ParseFormat(f.lifecycle.logFormat); err != nil {
		return usageError(fmt.Errorf("--log-format: %w", err))
	}
	grace, stopTimeout := time.Duration(f.gracePeriod), time.Duration(f.stopTimeout)
	plan, err := buildPlan(&f.lifecycle, grace, stopTimeout)
	if err != nil {
		return usageError(err)
	}
	fmt.Fprint(stdout, describePlan(plan))
	warnings := planWarnings(plan)
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if *strict && len(warnings) > 0 {
		return 1
	}
	return 0
}

func describePlan(p *hooks.Plan) string {
	var b strings.Builder
	reserve := "the rest of the grace period, at least " + hooks.DefaultStopReserve.String()
	if p.StopTimeout > 0 {
		reserve = p.StopTimeout.String()
	}
	fmt.Fprintf(&b, "grace period %s; the app's time after its stop signal: %s\n", p.GracePeriod, reserve)
	for _, phase := range hooks.Phases {
		steps := p.Steps[phase]
		fmt.Fprintf(&b, "%s", phase)
		if budget := p.Budget(phase); budget > 0 {
			fmt.Fprintf(&b, " (budget %s)", budget)
		}
		if len(steps) == 0 {
			b.WriteString(": no steps\n")
			continue
		}
		fmt.Fprintf(&b, ": worst case %s\n", worst(p.WorstCase(phase)))
		for i, s := range steps {
			opt := ""
			if s.Optional {
				opt = ", optional"
			}
			fmt.Fprintf(&b, "  %d. %s  [worst case %s%s]\n", i+1, s.Redacted(), worst(s.WorstCase()), opt)
		}
	}
	return b.String()
}

func worst(d time.Duration) string {
	if d == hooks.Unbounded {
		return "unbounded (no --timeout)"
	}
	return d.String()
}

// planWarnings are the plan's risks: a prestop that could outlast the grace
// period with the app's stop, and waits that could hang forever.
func planWarnings(p *hooks.Plan) []string {
	var out []string
	var prestop time.Duration
	unbounded := false
	for _, s := range p.Steps[hooks.Prestop] {
		if w := s.WorstCase(); w == hooks.Unbounded {
			unbounded = true
		} else {
			prestop += w
		}
	}
	reserve := p.StopTimeout
	if reserve == 0 {
		reserve = hooks.DefaultStopReserve
	}
	switch {
	case unbounded && len(p.Steps[hooks.Prestop]) > 0:
		out = append(out, fmt.Sprintf("prestop has a step without --timeout: it may be cut short at its budget of %s", p.Budget(hooks.Prestop)))
	case prestop+reserve > p.GracePeriod && len(p.Steps[hooks.Prestop]) > 0:
		out = append(out, fmt.Sprintf("prestop's worst case %s plus %s for the app is %s, more than the grace period of %s: prestop will be cut short", prestop, reserve, prestop+reserve, p.GracePeriod))
	}
	for _, phase := range []hooks.Phase{hooks.Prestart, hooks.Poststart} {
		for i, s := range p.Steps[phase] {
			if s.WorstCase() == hooks.Unbounded {
				out = append(out, fmt.Sprintf("%s step %d (%s) has no --timeout and may wait forever", phase, i+1, s.Redacted()))
			}
		}
	}
	return out
}
