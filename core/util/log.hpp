// One line per event on stderr: time, level, optional connection id and
// client, message. Thread-safe; lines never interleave.
#pragma once
#include <cstdint>
#include <string_view>

namespace mailfw::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);

// Writes "2026-11-22T13:41:10.123Z info  [c42 127.0.0.1:5000] message".
// conn_id == 0 and an empty client leave the bracket out.
void write(Level level, std::string_view message, uint64_t conn_id = 0, std::string_view client = {});

inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace mailfw::log
