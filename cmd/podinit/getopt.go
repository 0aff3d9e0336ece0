package main

import (
	"fmt"
	"strings"
)

// getopt parses short options the way GNU getopt(3) does, which is how tini
// and dumb-init read their command lines. spec lists the option letters, a
// letter followed by ':' taking an argument. With permute set, operands are
// moved past the options and scanning goes on after them (tini's behaviour:
// "tini ls -l" gives -l to tini); otherwise the first operand ends the options
// (dumb-init's, and tini's under POSIXLY_CORRECT). "--" always ends them.
// long maps long option names to their letter.
type getopt struct {
	spec    string
	long    map[string]byte
	permute bool
}

type option struct {
	letter byte
	arg    string
}

// optError is a usage error, worded as glibc words it after the program name.
type optError string

func (e optError) Error() string { return string(e) }

func (g getopt) parse(args []string) (opts []option, operands []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(operands, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			letter, ok := g.long[name]
			if !ok {
				return nil, nil, optError(fmt.Sprintf("unrecognized option '%s'", a))
			}
			o := option{letter: letter}
			if g.takesArg(letter) {
				switch {
				case hasValue:
					o.arg = value
				case i+1 < len(args):
					i++
					o.arg = args[i]
				default:
					return nil, nil, optError(fmt.Sprintf("option '--%s' requires an argument", name))
				}
			} else if hasValue {
				return nil, nil, optError(fmt.Sprintf("option '--%s' doesn't allow an argument", name))
			}
			opts = append(opts, o)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				if !g.known(c) {
					return nil, nil, optError(fmt.Sprintf("invalid option -- '%c'", c))
				}
				o := option{letter: c}
				if g.takesArg(c) {
					switch {
					case j+1 < len(a):
						o.arg = a[j+1:]
					case i+1 < len(args):
						i++
						o.arg = args[i]
					default:
						return nil, nil, optError(fmt.Sprintf("option requires an argument -- '%c'", c))
					}
					opts = append(opts, o)
					break
				}
				opts = append(opts, o)
			}
		default:
			if !g.permute {
				return opts, append(operands, args[i:]...), nil
			}
			operands = append(operands, a)
		}
	}
	return opts, operands, nil
}

func (g getopt) known(c byte) bool {
	return c != ':' && strings.IndexByte(g.spec, c) >= 0
}

func (g getopt) takesArg(c byte) bool {
	i := strings.IndexByte(g.spec, c)
	return i >= 0 && i+1 < len(g.spec) && g.spec[i+1] == ':'
}
