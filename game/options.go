package game

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/wire"
)

// Option types.
const (
	OptionInt    = "int"
	OptionBool   = "bool"
	OptionString = "string"
	OptionEnum   = "enum"
)

// Option describes one create option of a game. The engine checks a create's options against
// them, by type, bounds and enum values, and fills in defaults, before Definition.New sees them.
type Option struct {
	Name string
	Type string // OptionInt, OptionBool, OptionString or OptionEnum
	// Default is the value taken when create leaves the option out: an int, a bool or a
	// string as Type says.
	Default any
	// Min and Max bound an int's value and a string's length in characters; both zero
	// means no bound.
	Min, Max    int
	Values      []string // an enum's values
	Description string
}

// Options are a create's options by name, validated and with defaults filled in: an int option
// holds an int, a bool a bool, a string or an enum a string.
type Options map[string]any

// Int returns int option name, zero when absent.
func (o Options) Int(name string) int { v, _ := o[name].(int); return v }

// Bool returns bool option name, false when absent.
func (o Options) Bool(name string) bool { v, _ := o[name].(bool); return v }

// String returns string or enum option name, empty when absent.
func (o Options) String(name string) string { v, _ := o[name].(string); return v }

// maxOptions bounds how many options a create may carry, known or not, before any is looked at.
const maxOptions = 32

// CheckOptions validates in (a create's options, as JSON or msgpack decoded them) against
// defs and returns them with every default filled in. An unknown option, a value of the wrong
// type or out of its bounds is an invalid_request error naming the option.
func CheckOptions(defs []Option, in map[string]any) (Options, error) {
	bad := func(format string, a ...any) error {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: fmt.Sprintf(format, a...)}
	}
	if len(in) > maxOptions {
		return nil, bad("at most %d options", maxOptions)
	}
	for name := range in {
		if !slices.ContainsFunc(defs, func(d Option) bool { return d.Name == name }) {
			return nil, bad("no option named %q", truncate(name, 32))
		}
	}
	out := make(Options, len(defs))
	for _, d := range defs {
		v, ok := in[d.Name]
		if !ok || v == nil {
			out[d.Name] = d.Default
			continue
		}
		switch d.Type {
		case OptionInt:
			n, ok := asInt(v)
			if !ok {
				return nil, bad("option %s must be an integer", d.Name)
			}
			if (d.Min != 0 || d.Max != 0) && (n < d.Min || n > d.Max) {
				return nil, bad("option %s must be %d to %d", d.Name, d.Min, d.Max)
			}
			out[d.Name] = n
		case OptionBool:
			b, ok := v.(bool)
			if !ok {
				return nil, bad("option %s must be true or false", d.Name)
			}
			out[d.Name] = b
		case OptionString:
			s, ok := v.(string)
			if !ok || !utf8.ValidString(s) {
				return nil, bad("option %s must be text", d.Name)
			}
			if n := utf8.RuneCountInString(s); (d.Min != 0 || d.Max != 0) && (n < d.Min || n > d.Max) {
				return nil, bad("option %s must be %d to %d characters", d.Name, d.Min, d.Max)
			}
			out[d.Name] = s
		case OptionEnum:
			s, ok := v.(string)
			if !ok || !slices.Contains(d.Values, s) {
				return nil, bad("option %s must be one of %s", d.Name, strings.Join(d.Values, ", "))
			}
			out[d.Name] = s
		default:
			return nil, bad("option %s has an unknown type %q", d.Name, d.Type)
		}
	}
	return out, nil
}

// asInt reads an integer as JSON (float64) or msgpack (any integer width) decoded it.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int8:
		return int(n), true
	case int16:
		return int(n), true
	case int32:
		return int(n), true
	case int64:
		return clampInt(float64(n))
	case uint8:
		return int(n), true
	case uint16:
		return int(n), true
	case uint32:
		return clampInt(float64(n))
	case uint64:
		return clampInt(float64(n))
	case float32:
		return asInt(float64(n))
	case float64:
		if n != math.Trunc(n) {
			return 0, false
		}
		return clampInt(n)
	}
	return 0, false
}

// clampInt converts f to int when it lies within ±2^31, wide enough for any option's bounds.
func clampInt(f float64) (int, bool) {
	if f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}
