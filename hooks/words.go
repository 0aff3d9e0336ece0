package hooks

import (
	"fmt"
	"os"
	"strings"
)

// splitWords splits s into words as a POSIX shell would, without expansion:
// single quotes keep everything, double quotes keep all but \" and \\, and a
// backslash outside quotes keeps the next character.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf(`unterminated " in %q`, s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// splitSteps splits a list of steps written in one string, as in a
// PODINIT_PRESTOP variable, at semicolons and newlines outside quotes.
func splitSteps(s string) []string {
	var steps []string
	start, quote := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == ';' || c == '\n':
			if step := strings.TrimSpace(s[start:i]); step != "" {
				steps = append(steps, step)
			}
			start = i + 1
		}
	}
	if step := strings.TrimSpace(s[start:]); step != "" {
		steps = append(steps, step)
	}
	return steps
}

// SplitSteps is splitSteps for the command line's environment variables.
func SplitSteps(s string) []string { return splitSteps(s) }

// expand replaces ${VAR} with its value from lookup; a $ not followed by {
// stays as it is, so passwords and regular expressions survive.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		if !validVarName(name) {
			return "", fmt.Errorf("${%s}: expected a variable name of letters, digits and _", name)
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("${%s} is not set", name)
		}
		out.WriteString(s[:i])
		out.WriteString(v)
		s = s[i+j+1:]
	}
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// placeholder stands for every variable when a step is checked before it
// runs. "1" fits wherever a variable may stand: a host, a port, a user, a
// path segment.
func placeholder(string) (string, bool) { return "1", true }

func environment(name string) (string, bool) { return os.LookupEnv(name) }
