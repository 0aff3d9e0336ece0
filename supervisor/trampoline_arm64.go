package supervisor

// arm64 kernels return from a handler through the vDSO's sigreturn.
const saRestorer = 0

func restorerPC() uintptr { return 0 }
