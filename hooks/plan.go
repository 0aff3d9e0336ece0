package hooks

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/podinit/podinit/stopbudget"
)

// Phase names a point in the container's life.
type Phase string

// The four phases, in the order a container meets them.
const (
	Prestart  Phase = "prestart"  // before the app starts: wait for dependencies
	Poststart Phase = "poststart" // after it started: wait until ready, register
	Prestop   Phase = "prestop"   // before it is signalled: deregister, drain
	Poststop  Phase = "poststop"  // after it exited, for any reason: clean up
)

// Phases lists the phases in order.
var Phases = []Phase{Prestart, Poststart, Prestop, Poststop}

// ParsePhase reads a phase name.
func ParsePhase(s string) (Phase, error) {
	for _, p := range Phases {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("phase %q: expected prestart, poststart, prestop or poststop", s)
}

// Plan is the configured lifecycle.
type Plan struct {
	Steps map[Phase][]Step
	// GracePeriod bounds prestop and the app's exit together; StopTimeout,
	// when set, is the part of it kept for the app after its stop signal.
	GracePeriod, StopTimeout time.Duration
}

// NewPlan returns an empty plan with the given budget.
func NewPlan(grace, stopTimeout time.Duration) *Plan {
	return &Plan{Steps: map[Phase][]Step{}, GracePeriod: grace, StopTimeout: stopTimeout}
}

// Add parses text as a step and appends it to phase.
func (p *Plan) Add(phase Phase, text string) error {
	s, err := ParseStep(text)
	if err != nil {
		return err
	}
	p.Steps[phase] = append(p.Steps[phase], s)
	return nil
}

// ReadPlanFile adds the steps of a plan file: one "PHASE: STEP" a line, in
// order; blank lines and lines starting with # are skipped.
func (p *Plan) ReadPlanFile(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		phaseName, step, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%s:%d: %q: expected PHASE: STEP, for example prestop: sleep 10s", name, n, line)
		}
		phase, err := ParsePhase(strings.TrimSpace(phaseName))
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if err := p.Add(phase, strings.TrimSpace(step)); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}

// StopBudget is how the plan's stop shares the grace period.
func (p *Plan) StopBudget() stopbudget.Budget {
	return stopbudget.Budget{GracePeriod: p.GracePeriod, StopTimeout: p.StopTimeout}
}

// Budget is how long phase may run; 0 means no bound of its own (each step's
// --timeout still applies). Kubernetes bounds neither prestart nor poststart;
// prestop and poststop get their shares of the grace period (package
// stopbudget has the rule).
func (p *Plan) Budget(phase Phase) time.Duration {
	switch phase {
	case Prestop:
		return p.StopBudget().Prestop()
	case Poststop:
		return p.StopBudget().Poststop()
	}
	return 0
}

// Unbounded is the worst case of a step or phase that can wait forever.
const Unbounded = time.Duration(-1)

// WorstCase is the longest phase can take: the sum of its steps' worst cases,
// capped by its budget.
func (p *Plan) WorstCase(phase Phase) time.Duration {
	var total time.Duration
	for _, s := range p.Steps[phase] {
		w := s.WorstCase()
		if w == Unbounded {
			total = Unbounded
			break
		}
		total += w
	}
	if b := p.Budget(phase); b > 0 && (total == Unbounded || total > b) {
		return b
	}
	return total
}
