"""A minimal VNC (RFB 3.8) client for tests/compositors: no authentication, raw encoding, one
full frame. Enough to read what wayvnc serves and compare it with grim's screenshot."""
import socket
import struct
import time


def _recv(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"the VNC server closed the connection ({len(buf)} of {n} bytes)")
        buf += chunk
    return bytes(buf)


def _handshake(sock):
    version = _recv(sock, 12)
    if not version.startswith(b"RFB 003."):
        raise ConnectionError(f"not an RFB server: {version!r}")
    sock.sendall(b"RFB 003.008\n")
    (n,) = _recv(sock, 1)
    if n == 0:
        (length,) = struct.unpack(">I", _recv(sock, 4))
        raise ConnectionError("the VNC server refused: " + _recv(sock, length).decode(errors="replace"))
    types = _recv(sock, n)
    if 1 not in types:
        raise ConnectionError(f"the VNC server wants authentication (security types {list(types)}), not None")
    sock.sendall(b"\x01")
    (result,) = struct.unpack(">I", _recv(sock, 4))
    if result != 0:
        raise ConnectionError(f"VNC security handshake failed ({result})")
    sock.sendall(b"\x01")  # ClientInit: shared
    w, h = struct.unpack(">HH", _recv(sock, 4))
    _recv(sock, 16)  # the server's pixel format (replaced below)
    (length,) = struct.unpack(">I", _recv(sock, 4))
    _recv(sock, length)
    # 32 bpp, depth 24, little-endian, true colour, 8 bits per channel: red at 16, green 8, blue 0.
    sock.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
    sock.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: Raw only
    return w, h


def _read_update(sock, w, rgba):
    """Reads server messages until one FramebufferUpdate has been applied to rgba; its pixel count."""
    while True:
        (kind,) = _recv(sock, 1)
        if kind == 2:  # Bell
            continue
        if kind == 3:  # ServerCutText
            _recv(sock, 3)
            (length,) = struct.unpack(">I", _recv(sock, 4))
            _recv(sock, length)
            continue
        if kind != 0:
            raise ConnectionError(f"unexpected VNC server message {kind}")
        _recv(sock, 1)
        (nrects,) = struct.unpack(">H", _recv(sock, 2))
        covered = 0
        for _ in range(nrects):
            x, y, rw, rh, enc = struct.unpack(">HHHHi", _recv(sock, 12))
            if enc != 0:
                raise ConnectionError(f"VNC rectangle with encoding {enc}, asked for Raw (0) only")
            data = _recv(sock, rw * rh * 4)
            for row in range(rh):
                src = data[row * rw * 4:(row + 1) * rw * 4]
                dst = ((y + row) * w + x) * 4
                line = bytearray(rw * 4)
                line[0::4], line[1::4], line[2::4] = src[2::4], src[1::4], src[0::4]  # BGRX -> RGB
                line[3::4] = b"\xff" * rw
                rgba[dst:dst + rw * 4] = line
            covered += rw * rh
        return covered


def frame(host, port, timeout=30.0, quiet=1.5):
    """(width, height, RGBA bytes) from the VNC server at host:port, as a client shows it: the full
    frame, then the incremental updates that follow, until none came for quiet seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with sock:
        w, h = _handshake(sock)
        rgba = bytearray(w * h * 4)
        sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))  # FramebufferUpdateRequest, full
        covered = 0
        while covered < w * h:
            covered += _read_update(sock, w, rgba)
        while time.monotonic() < deadline:
            sock.sendall(struct.pack(">BBHHHH", 3, 1, 0, 0, w, h))  # incremental
            sock.settimeout(quiet)
            try:
                ready = sock.recv(1, socket.MSG_PEEK)
            except socket.timeout:
                break
            if not ready:
                raise ConnectionError("the VNC server closed the connection")
            sock.settimeout(timeout)
            _read_update(sock, w, rgba)
        return w, h, bytes(rgba)
