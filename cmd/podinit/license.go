package main

// license is what tini's -l prints, in podinit's own words.
const license = "podinit is released under the MIT License; the full text is in the LICENSE file of its source.\n"
