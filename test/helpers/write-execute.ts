/**
 * systemd's MemoryDenyWriteExecute=yes, without systemd: the seccomp filter systemd installs
 * (mmap with PROT_WRITE|PROT_EXEC together, and mprotect or pkey_mprotect adding PROT_EXEC, fail
 * with EPERM), set with no_new_privs by a small Python program that then runs the command.
 * The unit's sandbox can so be held by a test on a machine whose PID 1 is not systemd.
 */

const ARCH: Partial<Record<NodeJS.Architecture, { audit: number; mmap: number; mprotect: number; pkeyMprotect: number }>> = {
  x64: { audit: 0xc000003e, mmap: 9, mprotect: 10, pkeyMprotect: 329 },
  arm64: { audit: 0xc00000b7, mmap: 222, mprotect: 226, pkeyMprotect: 288 },
};

/** The argv prefix that runs a command under the filter; undefined on other processors. */
export function denyWriteExecute(python: string): string[] | undefined {
  const arch = ARCH[process.arch];
  if (!arch) return undefined;
  const program = `
import ctypes, os, struct, sys
LD, JEQ, AND, RET = 0x20, 0x15, 0x54, 0x06
ALLOW, EPERM = 0x7fff0000, 0x00050001
PROT = 32  # offsetof(struct seccomp_data, args[2])
code = [
  (LD, 0, 0, 4), (JEQ, 0, 12, ${arch.audit}), (LD, 0, 0, 0),
  (JEQ, 3, 0, ${arch.mmap}), (JEQ, 5, 0, ${arch.mprotect}), (JEQ, 4, 0, ${arch.pkeyMprotect}), (RET, 0, 0, ALLOW),
  (LD, 0, 0, PROT), (AND, 0, 0, 6), (JEQ, 3, 4, 6),
  (LD, 0, 0, PROT), (AND, 0, 0, 4), (JEQ, 0, 1, 4),
  (RET, 0, 0, EPERM), (RET, 0, 0, ALLOW),
]
filters = b"".join(struct.pack("HBBI", *f) for f in code)
buf = ctypes.create_string_buffer(filters)
prog = struct.pack("HxxxxxxP", len(code), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.c_char_p(prog), 0, 0) != 0:
    sys.exit("seccomp: errno %d" % ctypes.get_errno())
os.execvp(sys.argv[1], sys.argv[1:])
`;
  return [python, '-c', program];
}
