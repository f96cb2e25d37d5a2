// Fuzz target for the plugin file check that runs before dlopen: whatever
// the bytes, elf_problem() reads only inside them (ASan) and either refuses
// or accepts a header whose program headers lie inside the image.
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "fuzz_check.hpp"
#include "plugin/elf_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view image(reinterpret_cast<const char*>(data), size);
    if (mailfw::elf_problem(image)) return 0;
    FUZZ_CHECK(size >= sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    std::memcpy(&eh, data, sizeof eh);
    FUZZ_CHECK(eh.e_phoff + uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) <= size);
    return 0;
}
