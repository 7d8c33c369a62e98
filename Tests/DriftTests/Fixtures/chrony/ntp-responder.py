import socket, struct, sys, time
port = int(sys.argv[1]); offset = float(sys.argv[2])
NTP_EPOCH = 2208988800
def ts(t):
    t += NTP_EPOCH
    return struct.pack("!II", int(t), int((t % 1) * 2**32))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[3], port))
while True:
    data, addr = s.recvfrom(512)
    if len(data) < 48: continue
    rx = time.time() + offset
    vn = (data[0] >> 3) & 7
    hdr = struct.pack("!BBBbII4s", (0 << 6) | (vn << 3) | 4, 2, data[2], -20, int(0.0005 * 65536), int(0.001 * 65536), b"SKEW")
    pkt = hdr + ts(rx - 1) + data[40:48] + ts(rx) + ts(time.time() + offset)
    s.sendto(pkt, addr)
