#include "plugin/elf_check.hpp"

#include <elf.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mailfw {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
constexpr uint16_t kMachine = 0;  // not checked
#endif

// [offset, offset + size) inside a file of `total` bytes, without overflow.
bool inside(uint64_t offset, uint64_t size, uint64_t total) { return offset <= total && size <= total - offset; }

template <class T>
T read_at(std::string_view image, uint64_t offset) {
    T v;
    std::memcpy(&v, image.data() + offset, sizeof v);
    return v;
}

std::string at(uint64_t n) { return std::to_string(n); }

constexpr int kProbeFailed = 3;  // the child's exit code when it could not report (no verdict)

}  // namespace

std::optional<std::string> elf_problem(std::string_view image) {
    const uint64_t total = image.size();
    if (total < SELFMAG || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) return "not an ELF file";
    if (total < sizeof(Elf64_Ehdr)) return "truncated: " + at(total) + " bytes, shorter than its ELF header";
    if (static_cast<unsigned char>(image[EI_CLASS]) != ELFCLASS64) return "not a 64-bit ELF file";
    const auto eh = read_at<Elf64_Ehdr>(image, 0);
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB && eh.e_ident[EI_DATA] != ELFDATA2MSB) return "damaged ELF header";
    if (eh.e_type != ET_DYN) return "not a shared object (ELF type " + at(eh.e_type) + ")";
    if (kMachine && eh.e_machine != kMachine) return "built for another machine (ELF machine " + at(eh.e_machine) + ")";
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0) return "damaged ELF header (program headers)";
    if (!inside(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), total))
        return "truncated: its program headers end past byte " + at(total);
    if (eh.e_shoff && !inside(eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize, total))
        return "truncated: its section headers end past byte " + at(total);

    bool loadable = false;
    for (uint16_t i = 0; i < eh.e_phnum; ++i) {
        const auto ph = read_at<Elf64_Phdr>(image, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
        if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC && ph.p_type != PT_INTERP) continue;
        if (!inside(ph.p_offset, ph.p_filesz, total))
            return "truncated: segment " + at(i) + " ends at byte " + at(ph.p_offset + ph.p_filesz) + " of " + at(total);
        if (ph.p_type == PT_LOAD) {
            loadable = true;
            if (ph.p_filesz > ph.p_memsz) return "damaged: segment " + at(i) + " is larger in the file than in memory";
            if (ph.p_align > 1 && (ph.p_vaddr % ph.p_align) != (ph.p_offset % ph.p_align))
                return "damaged: segment " + at(i) + " is misaligned";
        }
        if (ph.p_type == PT_DYNAMIC) {
            // Every entry inside the segment, and the table ends with DT_NULL.
            if (ph.p_filesz % sizeof(Elf64_Dyn) != 0) return "damaged: its dynamic section has a partial entry";
            bool terminated = false;
            for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= ph.p_filesz; off += sizeof(Elf64_Dyn))
                if (read_at<Elf64_Dyn>(image, ph.p_offset + off).d_tag == DT_NULL) {
                    terminated = true;
                    break;
                }
            if (!terminated) return "damaged: its dynamic section has no end";
        }
    }
    if (!loadable) return "damaged: nothing in it can be loaded";
    return std::nullopt;
}

std::optional<std::string> elf_file_problem(const std::filesystem::path& file) {
    // Mapped, not read: the check touches the headers and the dynamic
    // section only, a few pages of a file that may be megabytes of debug
    // information (reading whole files was most of start-up's CPU).
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;  // dlopen reports unreadable files itself
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        ::close(fd);
        return std::nullopt;
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return std::nullopt;
    const std::string_view image(static_cast<const char*>(map), size);
    std::optional<std::string> problem;
    if (image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0) problem = elf_problem(image);
    ::munmap(map, size);
    return problem;
}

namespace {

// Marks, in the child's stderr, where attempt i begins: "\x1e<i>\n".
constexpr char kMark = '\x1e';

struct ChildRun {
    bool finished = false;           // exited 0 after every attempt
    bool timed_out = false;
    size_t current = 0;              // the attempt that was running when it ended
    bool started = false;            // some attempt began
    int status = 0;
    std::string said;                // what the current attempt wrote
};

ChildRun run_child(size_t from, size_t count, const std::function<void(size_t)>& attempt) {
    ChildRun run;
    int err[2];
    if (::pipe(err) != 0) {
        run.timed_out = true;  // cannot probe: the real loads go ahead
        return run;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(err[0]);
        ::close(err[1]);
        run.timed_out = true;
        return run;
    }
    if (pid == 0) {  // the child: only the attempts, then _exit (no destructors, no atexit)
        ::close(err[0]);
        ::dup2(err[1], STDERR_FILENO);
        // A crash must end the child by its signal, even where a sanitizer
        // or a crash reporter installed handlers of its own.
        for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
        for (size_t i = from; i < count; ++i) {
            const std::string mark = std::string(1, kMark) + std::to_string(i) + "\n";
            if (::write(STDERR_FILENO, mark.data(), mark.size()) < 0) ::_exit(kProbeFailed);
            try {
                attempt(i);
            } catch (...) {
                // The real load throws the same and says why.
            }
        }
        ::_exit(0);
    }
    ::close(err[1]);
    // What the child wrote from the last mark on: the current attempt's mark
    // and its words (earlier attempts' text is dropped, so marks are never
    // lost to the size cap).
    std::string out;
    auto take = [&](const char* data, size_t n) {
        const std::string_view chunk(data, n);
        const size_t mark = chunk.rfind(kMark);
        if (mark != std::string_view::npos) {
            out.assign(chunk.substr(mark));
            return true;
        }
        if (out.size() < 4096) out.append(chunk.substr(0, 4096 - out.size()));
        return false;
    };
    char buf[512];
    // Bounded: a child stuck in the loader must not hang start-up (10 s
    // from the last attempt that began).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (bool open = true;;) {
        if (open) {
            pollfd p{err[0], POLLIN, 0};
            if (::poll(&p, 1, 10) > 0) {
                const ssize_t n = ::read(err[0], buf, sizeof buf);
                if (n > 0 && take(buf, static_cast<size_t>(n)))
                    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                if (n == 0) open = false;
            }
        } else {
            ::poll(nullptr, 0, 1);  // its stderr is closed: wait for the exit, still bounded
        }
        const pid_t r = ::waitpid(pid, &run.status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            ::close(err[0]);
            run.timed_out = true;
            return run;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &run.status, 0);
            ::close(err[0]);
            run.timed_out = true;
            return run;
        }
    }
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) take(buf, static_cast<size_t>(n));
    ::close(err[0]);
    run.finished = WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0;
    if (!out.empty() && out[0] == kMark) {
        const size_t nl = out.find('\n');
        size_t index = 0;
        bool digits = nl != std::string::npos && nl > 1;
        for (size_t k = 1; digits && k < nl; ++k) {
            if (out[k] < '0' || out[k] > '9') digits = false;
            else index = index * 10 + static_cast<size_t>(out[k] - '0');
        }
        if (digits && index >= from && index < count) {  // else a mark the attempt itself wrote: no verdict
            run.started = true;
            run.current = index;
            run.said = out.substr(nl + 1);
        }
    }
    run.said = run.said.substr(0, run.said.find('\n'));
    return run;
}

}  // namespace

std::vector<std::optional<std::string>> probe_loads(size_t count, const std::function<void(size_t)>& attempt) {
    std::vector<std::optional<std::string>> verdicts(count);
    // One child for all attempts; when one kills it, that one has its
    // verdict and a new child goes on with the next.
    for (size_t from = 0; from < count;) {
        const ChildRun run = run_child(from, count, attempt);
        if (run.timed_out || run.finished || !run.started) break;
        if (WIFEXITED(run.status) && WEXITSTATUS(run.status) == kProbeFailed) break;
        const size_t i = run.current;
        if (WIFSIGNALED(run.status))
            verdicts[i] = "loading it crashed (" + std::string(strsignal(WTERMSIG(run.status))) + ")" +
                          (run.said.empty() ? std::string() : ": " + run.said);
        else
            verdicts[i] = "the dynamic loader gave up on it" + (run.said.empty() ? std::string() : ": " + run.said);
        from = i + 1;
    }
    return verdicts;
}

std::optional<std::string> probe_load(const std::function<void()>& attempt) {
    return probe_loads(1, [&](size_t) { attempt(); }).front();
}

}  // namespace mailfw
