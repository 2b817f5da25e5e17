"""The Redis of bench/scale.py's shared rate limits: a database number nobody uses (empty
when the bench starts, counting down from the last), and afterwards only the keys under
the limits' prefix (`bot.ratelimit.KEY_PREFIX`) deleted there: nothing else is flushed."""

from __future__ import annotations

from dataclasses import dataclass

SERVER = ("127.0.0.1", 6379)


@dataclass
class BenchRedis:
    db: int

    @property
    def url(self) -> str:
        return f"redis://{SERVER[0]}:{SERVER[1]}/{self.db}"

    @classmethod
    def fresh(cls) -> BenchRedis:
        """The highest-numbered empty database (SystemExit with one line if none is)."""
        import redis

        try:
            admin = redis.Redis(host=SERVER[0], port=SERVER[1], socket_timeout=5)
            count = int(admin.config_get("databases").get("databases", 16))
            admin.close()
            for db in range(count - 1, 0, -1):
                client = redis.Redis(host=SERVER[0], port=SERVER[1], db=db, socket_timeout=5)
                try:
                    if client.dbsize() == 0:
                        return cls(db)
                finally:
                    client.close()
        except redis.RedisError as exc:
            raise SystemExit(f"Redis on {SERVER[0]}:{SERVER[1]}: {exc} (or use --no-redis)"
                             ) from None
        raise SystemExit("no empty Redis database for the bench's limits (or use --no-redis)")

    def clean(self) -> int:
        """Delete the limits' keys the bench left; returns how many."""
        import redis

        from bot.ratelimit import KEY_PREFIX

        client = redis.Redis(host=SERVER[0], port=SERVER[1], db=self.db, socket_timeout=5)
        try:
            keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
            for i in range(0, len(keys), 1000):
                client.delete(*keys[i:i + 1000])
            return len(keys)
        finally:
            client.close()
