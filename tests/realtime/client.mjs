// A Socket.IO client as the PRD's front ends use it (npm's socket.io-client, unchanged).
// Usage: node client.mjs <server url> [--tenant slug] [--token t] [room ...]
// Prints one JSON line per happening: {"event":"connect"}, {"event":"joined","room","answer"},
// {"event":"connect_error","message"}, and {"event":<name>,"data":<payload>} for every
// server event. Ends when its standard input closes. Each line on standard input,
// {"emit": <name>, "data": <payload>}, is emitted; the answer prints as
// {"event":"ack","emit":<name>,"answer":<acknowledgement>}.
import { io } from "socket.io-client";

const [url, ...rest] = process.argv.slice(2);
const rooms = [];
const options = { transports: ["websocket"], reconnection: false };
for (let i = 0; i < rest.length; i += 1) {
  if (rest[i] === "--tenant") options.query = { tenant: rest[(i += 1)] };
  else if (rest[i] === "--token") options.auth = { token: rest[(i += 1)] };
  else rooms.push(rest[i]);
}

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const socket = io(url, options);

socket.on("connect", () => {
  print({ event: "connect" });
  for (const room of rooms) {
    socket.emit("join-room", { room }, (answer) => print({ event: "joined", room, answer }));
  }
});
socket.on("connect_error", (error) => print({ event: "connect_error", message: error.message }));
socket.onAny((event, data) => print({ event, data }));

let pending = "";
process.stdin.on("data", (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf("\n")) >= 0) {
    const { emit, data } = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    socket.emit(emit, data, (answer) => print({ event: "ack", emit, answer }));
  }
});
process.stdin.on("end", () => {
  socket.close();
  process.exit(0);
});
