"""What the tests and the benchmarks share besides the fake Telegram (`fakegram`): a throwaway
PostgreSQL server (`testbed.postgres`), the real bot as a subprocess (`testbed.bot_process`)
and a database full of couples (`testbed.couples`)."""
