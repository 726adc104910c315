/** Pushes frames to WebSocket connections (API Gateway's `@connections`). */
export interface Connections {
  /** Sends one frame; `'gone'` when the connection no longer exists (HTTP 410). */
  post(connectionId: string, frame: string): Promise<'sent' | 'gone'>;
  /** Closes a connection from the server side; gone connections are ignored. */
  close(connectionId: string): Promise<void>;
}
