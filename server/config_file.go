package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxConfigBytes bounds the --config file; a real one is a few hundred bytes.
const maxConfigBytes = 1 << 20

// readConfigFile reads a TOML file of settings keyed by flag name and returns each value as
// the text its flag would take: numbers and booleans as written, arrays of strings joined with
// commas (for origins and trusted-proxies). An unknown key, a table or a value of another kind
// is an error naming the file and the key, so a typo never passes silently.
//
// The one table key is oidc, the [[oidc]] provider tables, returned raw for parseOIDC.
func readConfigFile(path string, ss []setting) (map[string]string, any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &FlagError{fmt.Sprintf("--config: %v", err)}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, nil, &FlagError{fmt.Sprintf("--config: %v", err)}
	}
	if len(b) > maxConfigBytes {
		return nil, nil, &FlagError{fmt.Sprintf("--config %s: larger than %d bytes", path, maxConfigBytes)}
	}
	var raw map[string]any
	if _, err := toml.Decode(string(b), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, &FlagError{fmt.Sprintf("--config %s: line %d: %s", path, pe.Position.Line, pe.Message)}
		}
		return nil, nil, &FlagError{fmt.Sprintf("--config %s: %v", path, oneLine(err.Error()))}
	}
	providers, hasOIDC := raw[oidcKey]
	delete(raw, oidcKey)
	if hasOIDC {
		if _, ok := providers.([]map[string]any); !ok {
			return nil, nil, &FlagError{fmt.Sprintf("--config %s: oidc must be an array of tables, written [[oidc]]", path)}
		}
	}
	known := map[string]bool{}
	for _, s := range ss {
		known[s.name] = true
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same key first every time
	out := map[string]string{}
	for _, k := range keys {
		if !known[k] {
			return nil, nil, &FlagError{fmt.Sprintf("--config %s: unknown key %q (keys are the flag names of tickwire serve --help)", path, k)}
		}
		v, err := configText(raw[k])
		if err != nil {
			return nil, nil, &FlagError{fmt.Sprintf("--config %s: key %s: %v", path, k, err)}
		}
		out[k] = v
	}
	return out, providers, nil
}

// configText renders one TOML value as flag text.
func configText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", errors.New("an array must hold strings only")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	default:
		return "", fmt.Errorf("a %T is not a setting value (use a string, number or array of strings)", v)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
