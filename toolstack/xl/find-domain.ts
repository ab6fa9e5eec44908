// find_domain (xl_utils.c) over libxl_domain_qualifier_to_domid: a number is taken as a domid
// without checking it exists; a name must match a domain, else
// "<arg> is an invalid domain identifier (rc=-6)" and xl exits 1.

import { listDomains } from '../builder/domain-info.ts';
import { invalidDomainIdentifierMessage } from '../xl-format.ts';
import type { XlContext } from './context.ts';

/** @returns the domid, or undefined after printing xl's message (exit status 1). */
export async function findDomain(x: XlContext, arg: string): Promise<number | undefined> {
  if (/^\d+$/.test(arg)) return Number(arg);
  const d = (await listDomains(x.port, x.version)).find((info) => info.name === arg);
  if (d === undefined) {
    x.out.write('stderr', invalidDomainIdentifierMessage(arg));
    return undefined;
  }
  return d.domid;
}
