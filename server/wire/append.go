package wire

import "math"

// The Append helpers write msgpack's smallest encoding of a value without an encoder, for the
// per-tick snapshot path where nothing may allocate.

// AppendMapHeader appends a map header for n entries.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	default:
		return append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendString appends a str.
func AppendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// AppendUint appends an unsigned integer.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xcf, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// AppendInt appends a signed integer.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xd3, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// AppendFloat32 appends a float32.
func AppendFloat32(b []byte, f float32) []byte {
	v := math.Float32bits(f)
	return append(b, 0xca, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AppendBool appends a bool.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendSnapshot appends a snapshot frame whose d map holds tick, ack and then the game's own
// fields: state holds fields map entries already encoded (keys and values, shared by every
// member of the lobby, encoded once per tick), and player holds playerFields more entries for
// this member alone.
func AppendSnapshot(b []byte, tick uint64, ack uint32, state []byte, fields int, player []byte, playerFields int) []byte {
	b = append(b, 0x82, 0xa1, 't', 0xa8, 's', 'n', 'a', 'p', 's', 'h', 'o', 't', 0xa1, 'd')
	b = AppendMapHeader(b, 2+fields+playerFields)
	b = append(b, 0xa4, 't', 'i', 'c', 'k')
	b = AppendUint(b, tick)
	b = append(b, 0xa3, 'a', 'c', 'k')
	b = AppendUint(b, uint64(ack))
	b = append(b, state...)
	return append(b, player...)
}
