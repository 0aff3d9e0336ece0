package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/podinit/podinit/hooks"
)

// runPlan is `podinit plan`: it reads the same command line and PODINIT_*
// variables as a run, so an image's ENTRYPOINT and CMD can be checked as they
// are, prints the plan with each step's worst case and the app it would
// start, and warns when the worst case of prestop and the app's stop exceeds
// the grace period. With --strict a warning is an error (exit 1), for CI
// checks of an image.
func runPlan(args []string, env environ) int {
	fs, f := newPodinitFlags()
	strict := fs.Bool("strict", false, "exit 1 when the plan draws a warning")
	usageError := func(err error) int {
		fmt.Fprintf(stderr, "podinit plan: %v (see podinit --help)\n", err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return usageError(flagError(err))
	}
	if f.help {
		fmt.Fprint(stdout, planUsage+fs.FlagUsages())
		return 0
	}
	// --strict says what the check is for: the command line's alone.
	if err := setFromEnv(fs, env, "strict"); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		if err := checkCommand(fs.Args()); err != nil {
			return usageError(err)
		}
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
	if fs.NArg() > 0 {
		fmt.Fprintf(stdout, "app: %s\n", shellWords(fs.Args()))
	}
	warnings := append(planWarnings(plan), commandWarnings(fs.Args())...)
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if *strict && len(warnings) > 0 {
		return 1
	}
	return 0
}

const planUsage = `Usage: podinit plan [--strict] [flags] [--] [CMD [ARGS...]]

Prints the plan that podinit with these flags and PODINIT_* variables would
run: each phase's steps and their worst case, and the app it would start.
It warns when prestop's worst case plus the app's stop exceeds the grace
period, and when a step of prestart or poststart may wait forever; with
--strict a warning exits 1. The flags are a run's, so an image's ENTRYPOINT
and CMD can follow "podinit plan --strict" as they are.

Flags:
`

// commandWarnings are the mistakes podinit plan can see in the app's
// command line: podinit's flags that landed after "--" (a pod's args
// appended after an ENTRYPOINT that ends in "--") and a --strict meant for
// plan that became the app's.
func commandWarnings(argv []string) []string {
	if len(argv) == 0 {
		return nil
	}
	var out []string
	if strings.HasPrefix(argv[0], "-") {
		out = append(out, fmt.Sprintf("the app's command %q begins with '-': podinit's flags after '--' are the app's command line", argv[0]))
	}
	for _, a := range argv[1:] {
		if a == "--strict" {
			out = append(out, "--strict after the app's command is the app's argument, not plan's: put it first")
		}
	}
	return out
}

func describePlan(p *hooks.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", p.StopBudget().Describe())
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
	budget := p.StopBudget()
	reserve := budget.Reserve()
	if budget.Overcommitted() {
		out = append(out, fmt.Sprintf("--stop-timeout %s leaves prestop less than the grace period of %s allows: prestop gets %s, and the runtime may kill the app before its %s are up", p.StopTimeout, p.GracePeriod, budget.Prestop(), p.StopTimeout))
	}
	switch {
	case unbounded && !budget.Bounded():
		out = append(out, "prestop has a step without --timeout and no grace period bounds it: it may wait forever")
	case unbounded:
		out = append(out, fmt.Sprintf("prestop has a step without --timeout: it may be cut short at its budget of %s", p.Budget(hooks.Prestop)))
	case budget.Bounded() && prestop > budget.Prestop():
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

// shellWords shows a command line with each argument that a shell would split
// or expand in single quotes, and a command that it would take for a
// variable assignment (A=b).
func shellWords(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		assignment := i == 0 && strings.Contains(a, "=")
		if a != "" && !assignment && strings.IndexFunc(a, func(r rune) bool { return !isPlainShellRune(r) }) < 0 {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

func isPlainShellRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)
}
