// The engine's vocabulary lives in shared, so the webview protocol and the engine cannot drift apart.
export type { AddressFamily, CloseReason, ConnectionRole, ConnectionState, Direction, Endpoint, TrafficTotals } from '../shared/types';
