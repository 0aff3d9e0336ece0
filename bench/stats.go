package main

import (
	"math"
	"slices"
)

// sample is a set of measurements of one quantity, in the unit the report
// prints it in.
type sample []float64

func (s sample) median() float64 { return s.percentile(50) }
func (s sample) min() float64    { return s.percentile(0) }
func (s sample) max() float64    { return s.percentile(100) }

// percentile interpolates linearly between the closest ranks, so the median
// of an even count is the mean of the middle two. An empty sample gives NaN.
func (s sample) percentile(p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(rank-float64(lo))
}
