package supervisor

// x86-64 kernels return from a handler through sa_restorer, which must be set.
const saRestorer = 0x04000000

func restorerAddr() uintptr

func restorerPC() uintptr { return restorerAddr() }
