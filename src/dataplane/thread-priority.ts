// The data plane's thread yields the CPU to the management plane: it lowers its own scheduling
// priority (raises its nice value) so that, when the cores are busy, the kernel runs the NETCONF
// thread first. A <get-config> needs only the main thread; a full-table ingest is the data plane's
// and takes longer by what NETCONF uses, which is little.
//
// Linux only, through libc (koffi, as src/net/sockopt.ts): on Linux the nice value is per thread
// (setpriority(2), BUGS: "under the current Linux/NPTL implementation of POSIX threads, the nice
// value is a per-thread attribute"), so setpriority(PRIO_PROCESS, gettid(), n) from inside the
// worker changes only that thread. Raising one's own nice value needs no privilege. With the
// kernel's autogroup scheduling, nice weighs threads against others of the same session only.
import util from 'node:util';
import koffi from 'koffi';

const PRIO_PROCESS = 0;

/**
 * How far below the agent's priority the data plane thread runs by default: CFS weighs nice 0
 * against nice 5 as 1024 to 335, so the NETCONF thread gets about 3× the data plane's CPU share
 * when both want it.
 */
export const DEFAULT_DATA_PLANE_NICE = 5;

interface Libc {
  gettid(): number;
  setpriority(which: number, who: number, prio: number): number;
  getpriority(which: number, who: number): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    gettid: lib.func('int gettid(void)'),
    setpriority: lib.func('int setpriority(int which, unsigned int who, int prio)'),
    getpriority: lib.func('int getpriority(int which, unsigned int who)'),
  } as Libc;
  return libc;
}

/**
 * Raises the calling thread's nice value by `by` above the one it has (the agent's own, inherited
 * when the thread was created; at most 19) and returns the thread's id and its nice value now.
 * Relative, so an agent started under nice(1) or a service manager's Nice= keeps its data plane
 * below its NETCONF thread without needing CAP_SYS_NICE. Throws with the errno's name when the
 * kernel refuses, or off Linux.
 */
export function lowerThreadPriority(by: number): { tid: number; nice: number } {
  if (process.platform !== 'linux') throw new Error(`a thread's nice value is set through Linux's libc (this is ${process.platform})`);
  const c = loadLibc();
  const tid = c.gettid();
  // glibc's wrapper returns the nice value itself (-20..19; setpriority(2), C library/kernel
  // differences). For the calling thread's own tid it cannot fail.
  const current = c.getpriority(PRIO_PROCESS, tid);
  const nice = Math.min(19, current + by);
  if (nice !== current && c.setpriority(PRIO_PROCESS, tid, nice) !== 0) {
    const errno = koffi.errno();
    throw new Error(`setpriority(PRIO_PROCESS, ${tid}, ${nice}) failed: ${errno > 0 ? util.getSystemErrorName(-errno) : 'unknown error'}`);
  }
  return { tid, nice: c.getpriority(PRIO_PROCESS, tid) };
}
