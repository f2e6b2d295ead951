// A datastore error (datastore/errors.ts, already in RFC 6241's vocabulary)
// as the rpc-errors of a reply: only the error-path changes form, from
// libyang's data path to the prefixed XPath NETCONF carries.
import type { DatastoreError, ErrorDetail } from '../datastore/errors.js';
import { errorPath } from './data-path.js';
import { RpcError, RpcErrorList } from './rpc-error.js';

export function toRpcErrors(err: DatastoreError, namespaceOf: (module: string) => string | null): RpcErrorList {
  return new RpcErrorList(err.errors.map((e) => toRpcError(e, namespaceOf)));
}

function toRpcError(e: ErrorDetail, namespaceOf: (module: string) => string | null): RpcError {
  const path = e.path ? errorPath(e.path, namespaceOf) : null;
  return new RpcError({
    type: e.type,
    tag: e.tag,
    message: e.message,
    ...(e.appTag ? { appTag: e.appTag } : {}),
    ...(path ? { path: path.path, pathNamespaces: path.namespaces } : {}),
    info: e.info,
  });
}
