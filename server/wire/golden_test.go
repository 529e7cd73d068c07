package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

// goldenVector is one entry of testdata/golden.json: a real frame as the server (or the Go
// client) encodes it, and the same frame decoded, as JSON. The server package's TestGoldenFrames
// writes the file (go test ./server -run TestGoldenFrames -update); clients in other languages
// read it too, so its shape stays as it is.
type goldenVector struct {
	Name string          `json:"name"`
	Hex  string          `json:"hex"`
	JSON json.RawMessage `json:"json"`
}

func loadGolden(tb testing.TB) []goldenVector {
	tb.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []goldenVector
	if err := json.Unmarshal(b, &vs); err != nil {
		tb.Fatal(err)
	}
	return vs
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestGoldenVectors decodes every vector, checks it against its JSON, and re-encodes the typed
// payload to the same bytes, so the Go structs, the hex and the JSON cannot drift apart. Every
// frame type, error code and event kind of the vocabulary has a vector.
func TestGoldenVectors(t *testing.T) {
	vs := loadGolden(t)
	seen := map[string]bool{}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			frame := unhex(t, v.Hex)
			env, err := wire.Decode(frame, wire.Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if typ, _, _ := strings.Cut(v.Name, "."); typ != env.T {
				t.Fatalf("vector %s holds a %s frame", v.Name, env.T)
			}
			seen[env.T] = true
			got, err := wire.FrameJSON(frame, wire.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, v.JSON) {
				t.Fatalf("decoded\n%s\nwant\n%s", got, v.JSON)
			}
			if env.T == wire.TypeSnapshot {
				return // the game's own fields have no struct here
			}
			if env.T == wire.TypeInput {
				// Only seq is the wire's; the other fields are the game's.
				var want struct {
					D struct {
						Seq uint32 `json:"seq"`
					} `json:"d"`
				}
				if err := json.Unmarshal(v.JSON, &want); err != nil {
					t.Fatal(err)
				}
				if seq, err := wire.InputSeq(env.D); err != nil || seq != want.D.Seq {
					t.Fatalf("seq %d, %v; want %d", seq, err, want.D.Seq)
				}
				return
			}
			var payload any
			if p := wire.NewPayload(env.T); p != nil {
				if err := wire.DecodePayload(env.D, p); err != nil {
					t.Fatal(err)
				}
				payload = reflect.ValueOf(p).Elem().Interface()
			} else if len(env.D) == 1 && env.D[0] == 0x80 {
				payload = struct{}{} // an empty payload, as in leave's {}
			} else if env.D != nil {
				t.Fatalf("%s carries a payload", env.T)
			}
			again, err := wire.Encode(env.T, env.ID, payload)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, frame) {
				t.Fatalf("re-encoded\n%x\nwant\n%x", again, frame)
			}
		})
	}
	voc := declaredVocabulary(t)
	for name, typ := range voc.Types {
		if !seen[typ] {
			t.Errorf("no golden vector for %s (%s)", typ, name)
		}
	}
	carried := map[string]bool{}
	for _, v := range vs {
		var f struct {
			T string `json:"t"`
			D struct {
				Code string `json:"code"`
				Kind string `json:"kind"`
			} `json:"d"`
		}
		if err := json.Unmarshal(v.JSON, &f); err != nil {
			t.Fatal(err)
		}
		switch f.T {
		case wire.TypeError:
			carried["code "+f.D.Code] = true
		case wire.TypeEvent:
			carried["kind "+f.D.Kind] = true
		}
	}
	for name, code := range voc.ErrorCodes {
		if !carried["code "+code] {
			t.Errorf("no golden error frame of code %s (%s)", code, name)
		}
	}
	for name, kind := range voc.EventKinds {
		if !carried["kind "+kind] {
			t.Errorf("no golden event frame of kind %s (%s)", kind, name)
		}
	}
}
