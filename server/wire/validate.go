package wire

import "errors"

// Limits bound what one frame may declare. The msgpack library trusts a frame's declared array,
// map and string lengths and allocates for them before reading the elements, so a five-byte
// frame can ask it for gigabytes; Validate walks the bytes first and refuses any length that the
// bytes left cannot hold. No library does this walk for us, hence the hand-written scanner.
type Limits struct {
	// MaxBytes bounds the frame's size; zero means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds nesting of arrays and maps; zero means DefaultMaxDepth.
	MaxDepth int
	// MaxElems bounds the total count of values in one frame (map keys count); zero means
	// DefaultMaxElems.
	MaxElems int
}

// Defaults for Limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 8
	DefaultMaxElems = 4096
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElems <= 0 {
		l.MaxElems = DefaultMaxElems
	}
	return l
}

// Validation errors. Every error Validate returns wraps one of them.
var (
	ErrTooLarge  = errors.New("wire: frame larger than the limit")
	ErrTruncated = errors.New("wire: frame truncated or a length exceeds the bytes left")
	ErrTooDeep   = errors.New("wire: frame nested too deeply")
	ErrTooMany   = errors.New("wire: frame has too many values")
	ErrBadByte   = errors.New("wire: invalid or unsupported msgpack type byte")
	ErrBadKey    = errors.New("wire: map key is not a string")
	ErrTrailing  = errors.New("wire: bytes after the frame's value")
)

// Validate checks that b holds exactly one well-formed msgpack value within l's bounds: every
// declared length fits in the bytes that follow it, nesting and the count of values stay under
// l's, map keys are strings, and no extension type appears (the protocol uses none). It
// allocates nothing and takes time linear in len(b): it is Reader's walk, the same one Skip
// takes, with l's limits.
func Validate(b []byte, l Limits) error {
	l = l.withDefaults()
	if len(b) > l.MaxBytes {
		return ErrTooLarge
	}
	r := Reader{b: b, elems: l.MaxElems}
	if err := r.walk(l.MaxDepth); err != nil {
		return err
	}
	if r.off != len(b) {
		return ErrTrailing
	}
	return nil
}
