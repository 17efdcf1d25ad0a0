// aedes, the MQTT-over-WebSocket peer of bench/compare (Debian's mosquitto
// 2.0.11 is built without WebSockets). One MQTT/TCP listener and one
// MQTT/WebSocket listener, both on 127.0.0.1 only; aedes's default
// in-memory persistence (nothing on disk); the WebSocket set-up is the one
// aedes's docs/Examples.md gives ("MQTT server over WebSocket": ws's
// WebSocketServer, createWebSocketStream, aedes.handle).
//
//   node server.js --tcp PORT --ws PORT [--ws-path /mqtt]
//
// A port of 0 lets the kernel choose; the chosen ports are printed as one
// JSON line on stdout once both listen ({"tcp":P,"ws":P}). SIGTERM or
// SIGINT closes the listeners and the broker and exits 0.

import { createServer as createTcpServer } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

const HOST = '127.0.0.1'

function parseArgs (argv) {
  const opts = { tcp: null, ws: null, wsPath: '/mqtt' }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (value === undefined) usage(`missing value for ${flag}`)
    i++
    if (flag === '--tcp' || flag === '--ws') {
      const port = Number(value)
      if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`${flag}: bad port ${value}`)
      opts[flag.slice(2)] = port
    } else if (flag === '--ws-path') {
      if (!value.startsWith('/')) usage('--ws-path must start with /')
      opts.wsPath = value
    } else {
      usage(`unknown option ${flag}`)
    }
  }
  if (opts.tcp === null || opts.ws === null) usage('--tcp and --ws are required')
  return opts
}

function usage (why) {
  process.stderr.write(`aedes-peer: ${why}\nusage: node server.js --tcp PORT --ws PORT [--ws-path /mqtt]\n`)
  process.exit(64)
}

function listen (server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, HOST, () => resolve(server.address().port))
  })
}

const opts = parseArgs(process.argv.slice(2))
const aedes = await Aedes.createBroker()

// TCP_NODELAY on both listeners, like iotbroker and the loadgen clients.
const tcp = createTcpServer({ noDelay: true }, aedes.handle)
const http = createHttpServer({ noDelay: true })
// ws picks the first offered subprotocol ("mqtt" from loadgen and paho);
// no per-message compression (ws's server default), as iotbroker.
const wss = new WebSocketServer({ server: http, path: opts.wsPath })
wss.on('connection', (websocket, req) => {
  const stream = createWebSocketStream(websocket)
  // A client that resets its connection makes the stream emit 'error';
  // aedes handles the client's end, the process must not die of it.
  stream.on('error', () => {})
  aedes.handle(stream, req)
})

const ports = { tcp: await listen(tcp, opts.tcp), ws: await listen(http, opts.ws) }
process.stdout.write(JSON.stringify(ports) + '\n')

function shutdown () {
  wss.close()
  tcp.close()
  http.close()
  aedes.close(() => process.exit(0))
  // Open client connections keep the servers' close callbacks waiting.
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
