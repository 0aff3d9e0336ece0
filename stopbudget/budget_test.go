package stopbudget

import (
	"strings"
	"testing"
	"time"
)

func TestBudgetOverGracePeriods(t *testing.T) {
	for g := time.Duration(0); g <= 60*time.Second; g += time.Second {
		for _, st := range []time.Duration{0, time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second} {
			b := Budget{GracePeriod: g, StopTimeout: st}
			prestop, reserve := b.Prestop(), b.Reserve()
			switch {
			case g == 0:
				if prestop != 0 || reserve != st || b.AppStop(time.Hour) != st {
					t.Errorf("%+v: no grace period, yet prestop %s, reserve %s, app %s", b, prestop, reserve, b.AppStop(time.Hour))
				}
				continue
			case prestop <= 0:
				t.Errorf("%+v: prestop gets %s: a grace period must leave it a bounded budget", b, prestop)
			case prestop > g:
				t.Errorf("%+v: prestop gets %s, more than the grace period", b, prestop)
			}
			if st == 0 {
				if reserve > MaxDefaultReserve || reserve > g/2 {
					t.Errorf("%+v: the app's default share is %s", b, reserve)
				}
				if prestop+reserve != g {
					t.Errorf("%+v: prestop %s + app %s != grace period %s", b, prestop, reserve, g)
				}
				if b.Overcommitted() {
					t.Errorf("%+v: the default split is overcommitted", b)
				}
				// The app gets what prestop left, never less than its share.
				if got := b.AppStop(prestop); got < reserve || got < MinAppStop {
					t.Errorf("%+v: after a prestop that used all %s, the app gets %s", b, prestop, got)
				}
			} else {
				if reserve != st || b.AppStop(prestop) != st {
					t.Errorf("%+v: --stop-timeout %s, yet the app gets %s", b, st, b.AppStop(prestop))
				}
				// Only a stop timeout that leaves prestop less than its
				// floor overcommits the grace period.
				floor := min(MinPrestop, g/2)
				if want := g-st < floor; b.Overcommitted() != want {
					t.Errorf("%+v: Overcommitted() = %v, want %v", b, b.Overcommitted(), want)
				}
				if !b.Overcommitted() && prestop != g-st {
					t.Errorf("%+v: prestop gets %s, want the grace period less the stop timeout", b, prestop)
				}
			}
			if b.Poststop() != reserve {
				t.Errorf("%+v: poststop gets %s, want the app's %s", b, b.Poststop(), reserve)
			}
		}
	}
}

func TestBudgetExamples(t *testing.T) {
	for _, tt := range []struct {
		b                Budget
		prestop, reserve time.Duration
		overcommitted    bool
	}{
		{Budget{GracePeriod: 30 * time.Second}, 20 * time.Second, 10 * time.Second, false},
		{Budget{GracePeriod: 10 * time.Second}, 5 * time.Second, 5 * time.Second, false},
		{Budget{GracePeriod: 2 * time.Second}, time.Second, time.Second, false},
		{Budget{GracePeriod: 10 * time.Second, StopTimeout: 10 * time.Second}, MinPrestop, 10 * time.Second, true},
		{Budget{GracePeriod: 45 * time.Second, StopTimeout: 15 * time.Second}, 30 * time.Second, 15 * time.Second, false},
	} {
		if p, r, o := tt.b.Prestop(), tt.b.Reserve(), tt.b.Overcommitted(); p != tt.prestop || r != tt.reserve || o != tt.overcommitted {
			t.Errorf("%+v: prestop %s, reserve %s, overcommitted %v; want %s, %s, %v", tt.b, p, r, o, tt.prestop, tt.reserve, tt.overcommitted)
		}
	}
}

func TestBudgetDescribe(t *testing.T) {
	got := Budget{GracePeriod: 10 * time.Second}.Describe()
	for _, want := range []string{"grace period 10s", "prestop gets up to 5s", "then the app the rest of the grace period (at least 5s) after its stop signal", "poststop up to 5s"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe() = %q, lacks %q", got, want)
		}
	}
	if got := (Budget{}).Describe(); !strings.Contains(got, "never killed") {
		t.Errorf("Describe() without a grace period = %q", got)
	}
}
