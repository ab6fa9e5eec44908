// Xen's errno catalogue (xen/include/public/errno.h): the numeric values a hypercall returns,
// negated. Tier-1 errors only: what a guest or toolstack can cause. Programmer errors throw
// from assert() instead (hv/assert.ts) and are never encoded as an errno.

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const E2BIG = 7;
export const EBUSY = 16;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOSYS = 38;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
/** tmem's private codes (xen/include/public/tmem.h in 4.3). */
export const EFROZEN = 1000;
export const EEMPTY = 1001;

/** Names for messages and traces; also how libxc's strerror() texts are looked up. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [ESRCH]: 'ESRCH',
  [EINTR]: 'EINTR',
  [E2BIG]: 'E2BIG',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EACCES]: 'EACCES',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [ERANGE]: 'ERANGE',
  [ENOSYS]: 'ENOSYS',
  [EOVERFLOW]: 'EOVERFLOW',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
  [EFROZEN]: 'EFROZEN',
  [EEMPTY]: 'EEMPTY',
};

/** glibc's strerror() text, as libxl/xc print it ("Cannot allocate memory"). */
export const STRERROR: Readonly<Record<number, string>> = {
  [EPERM]: 'Operation not permitted',
  [ENOENT]: 'No such file or directory',
  [ESRCH]: 'No such process',
  [EINTR]: 'Interrupted system call',
  [E2BIG]: 'Argument list too long',
  [EAGAIN]: 'Resource temporarily unavailable',
  [ENOMEM]: 'Cannot allocate memory',
  [EACCES]: 'Permission denied',
  [EFAULT]: 'Bad address',
  [EBUSY]: 'Device or resource busy',
  [EEXIST]: 'File exists',
  [ENODEV]: 'No such device',
  [EINVAL]: 'Invalid argument',
  [ENOSPC]: 'No space left on device',
  [ERANGE]: 'Numerical result out of range',
  [ENOSYS]: 'Function not implemented',
  [EOVERFLOW]: 'Value too large for defined data type',
  [EOPNOTSUPP]: 'Operation not supported',
};

/** "-22 (EINVAL)" for traces and test messages. */
export function errnoName(rc: number): string {
  return rc < 0 ? `${rc} (${ERRNO_NAMES[-rc] ?? '?'})` : String(rc);
}
