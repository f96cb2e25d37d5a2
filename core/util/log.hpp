// One line per event on stderr: time, level, optional connection id and
// client, message. Thread-safe; lines never interleave.
#pragma once
#include <cstdint>
#include <functional>
#include <string_view>

namespace mailfw::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);

// Writes "2026-11-22T13:41:10.123Z info  [c42 127.0.0.1:5000] message".
// conn_id == 0 and an empty client leave the bracket out.
void write(Level level, std::string_view message, uint64_t conn_id = 0, std::string_view client = {});

// Lines logged on this thread from now on wait in its buffer until the
// flush that `schedule` is handed runs: a network thread passes it to its
// event loop, which runs it once the handlers ready now are done. Twenty
// sessions answering in one turn of the loop then cost one write(2), not
// forty, and two threads do not queue for the log file's lock line by
// line (measured: a third of the server's CPU per message with a new
// connection each). Warnings and errors go out at once, after what waits
// before them; a full buffer (16 KiB) is written at once too.
void defer_on_this_thread(std::function<void(void (*flush)())> schedule);
// Writes what waits on this thread. Before the thread hands work to
// another (a worker pool), so that the lines stay in order, and before it ends.
void flush_this_thread();

inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace mailfw::log
