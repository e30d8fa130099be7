// The bare engine as a SocketFactory, for the CLI and tests; the editor uses the Registry instead.
import { Connection } from '../connection';
import { Listener } from '../listener';
import type { SocketFactory } from './runner';

export const engineSockets: SocketFactory = {
  connect: (options) => Connection.connect(options),
  listen: (options) => Listener.listen(options),
};
