package server

import (
	"syscall"
	"unsafe"
)

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket, made without telling
// the scheduler. syscall.Read and syscall.Write announce every call as one that may block
// (entersyscall, exitsyscall), so that the runtime's monitor can hand the processor to another
// thread if the call runs long; a call on a non-blocking descriptor never waits, and with a read
// and a write per player per tick that bookkeeping, and the handoffs it sometimes triggers while
// the kernel copies a frame, cost more than the calls' own user-side work. The standard library
// has no such call for a descriptor of net's, so they are written here. The descriptor must be
// non-blocking: the caller holds its processor until the kernel returns.

func rawRead(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
