package hooks

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// A container is told apart from the others of its pod by its namespaces.
// The containers of a pod share a network namespace, hence one namespace of
// abstract Unix sockets, and may share their PID namespace too
// (shareProcessNamespace in Kubernetes, `podman pod create --share pid`);
// each has a mount namespace of its own, since each has its own root file
// system. A process belongs to this container when it is in the same PID
// and mount namespaces: a process of a pod's other container differs in the
// mount namespace, and one outside the pod has no pid here at all (the
// kernel reports a peer it cannot name in this PID namespace with pid 0).

// container is a container's identity: the inodes of its PID and mount
// namespaces.
type container struct{ pidNS, mntNS uint64 }

// containerOf reads the namespaces of process pid ("self" for this one). The
// kernel lets a process read another's namespaces only when it may trace it
// for reading (same user, or CAP_SYS_PTRACE).
func containerOf(pid string) (container, error) {
	var c container
	for _, ns := range []struct {
		name  string
		inode *uint64
	}{{"pid", &c.pidNS}, {"mnt", &c.mntNS}} {
		var st unix.Stat_t
		if err := unix.Stat("/proc/"+pid+"/ns/"+ns.name, &st); err != nil {
			return container{}, fmt.Errorf("cannot read the %s namespace of %s: %w", ns.name, describePID(pid), err)
		}
		*ns.inode = st.Ino
	}
	return c, nil
}

func describePID(pid string) string {
	if pid == "self" {
		return "this process"
	}
	return "pid " + pid
}

// SocketAddress is the control socket's address for this container: its
// PID and mount namespaces make the name, so no two containers of a pod
// have the same, whether or not they share a PID namespace.
func SocketAddress() (string, error) {
	self, err := containerOf("self")
	if err != nil {
		return "", fmt.Errorf("control socket: %w", err)
	}
	return self.address(), nil
}

func (c container) address() string {
	return fmt.Sprintf("@podinit-%d-%d", c.pidNS, c.mntNS)
}

// peer is the process at the other end of a control connection, as the
// kernel recorded it: the connecting process for PID 1, the listening one
// for a hook.
type peer struct {
	pid, uid int
	// pidfd, when the kernel offers it (SO_PEERPIDFD, Linux 6.5), holds on
	// to the very process, so a pid reused after it exited is noticed.
	pidfd int
}

// soPeerPidfd is SO_PEERPIDFD, which golang.org/x/sys does not name yet.
const soPeerPidfd = 77

// peerOf reads the credentials the kernel recorded for conn's other end,
// before a byte is exchanged.
func peerOf(conn *net.UnixConn) (peer, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	p := peer{pidfd: -1}
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		var cred *unix.Ucred
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if credErr == nil {
			p.pid, p.uid = int(cred.Pid), int(cred.Uid)
		}
		if pidfd, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, soPeerPidfd); err == nil {
			p.pidfd = pidfd
		}
	}); err != nil {
		return peer{}, err
	}
	if credErr != nil {
		p.close()
		return peer{}, fmt.Errorf("cannot read its credentials: %w", credErr)
	}
	return p, nil
}

func (p peer) close() {
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
	}
}

// errOtherContainer says a peer is not of this container.
var errOtherContainer = errors.New("another container")

// inContainer checks that the peer is a process of container c.
func (p peer) inContainer(c container) error {
	if p.pid == 0 {
		return fmt.Errorf("a process outside this container's PID namespace (%w)", errOtherContainer)
	}
	pid := strconv.Itoa(p.pid)
	theirs, err := containerOf(pid)
	if err != nil {
		return err
	}
	// The pid was read from the socket, the namespaces from /proc: had the
	// peer exited in between and its pid gone to another process, these
	// would be that process's. A pidfd that still reaches a live process
	// rules that out.
	if p.pidfd >= 0 {
		if err := unix.PidfdSendSignal(p.pidfd, 0, nil, 0); errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("pid %s exited before it could be checked", pid)
		}
	}
	switch {
	case theirs.mntNS != c.mntNS:
		return fmt.Errorf("pid %s, a process of %w (mount namespace %d, this container's is %d)", pid, errOtherContainer, theirs.mntNS, c.mntNS)
	case theirs.pidNS != c.pidNS:
		return fmt.Errorf("pid %s, a process of %w (PID namespace %d, this container's is %d)", pid, errOtherContainer, theirs.pidNS, c.pidNS)
	}
	return nil
}

// checkCaller admits a hook of PID 1's own container, run by PID 1's user
// or by root. The user is checked first: reading another user's namespaces
// takes a capability containers rarely have.
func checkCaller(conn *net.UnixConn, self container) error {
	p, err := peerOf(conn)
	if err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	defer p.close()
	if euid := os.Geteuid(); p.uid != euid && p.uid != 0 {
		return fmt.Errorf("refused: user %d may not run hooks of a podinit running as user %d", p.uid, euid)
	}
	if err := p.inContainer(self); err != nil {
		return fmt.Errorf("refused: the caller is %w", err)
	}
	return nil
}

// checkServer makes sure the process listening on the control socket is a
// podinit of the hook's own container: another container of the pod could
// have bound the name first, and a hook that talked to it would report a
// prestop that never ran.
func checkServer(conn *net.UnixConn, self container) error {
	p, err := peerOf(conn)
	if err != nil {
		return err
	}
	defer p.close()
	if euid := os.Geteuid(); p.uid != euid && euid != 0 {
		return fmt.Errorf("refused: user %d may not run hooks of a podinit running as user %d (pid %d)", euid, p.uid, p.pid)
	}
	if err := p.inContainer(self); err != nil {
		return fmt.Errorf("held by %w, not by this container's podinit: the hook sent it nothing", err)
	}
	return nil
}
