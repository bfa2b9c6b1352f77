// Keeps the C++ in the documentation compiled. Every ```cpp block in README.md
// and docs/*.md must be preceded by a line
//
//   <!-- sample: tree.cpp#move -->
//
// naming a region of a program in docs/samples/, marked there by two lines
// `//! [move]` (Doxygen's snippet markers). The programs are built and run by
// the test suite; this tool checks that each block shows exactly its region.
// Blocks of other kinds may name a region too: ```text blocks that show what a
// program prints name a region of its <name>.expected file, which the test
// suite compares with the program's output (the program prints the markers).
// A reference without #region stands for the whole file; the path is relative
// to docs/samples/.
//
//   doc_samples check  <repository>   fails, naming the block, on any difference
//   doc_samples update <repository>   rewrites the blocks from the programs

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool is_marker(const std::string& line) {
  const std::string t = trim(line);
  return t.starts_with("//! [") && t.ends_with("]");
}

// Shifts lines left by their common indentation and drops blank lines at both ends.
std::vector<std::string> dedent(std::vector<std::string> lines) {
  std::size_t indent = std::string::npos;
  for (const auto& l : lines)
    if (!trim(l).empty()) indent = std::min(indent, l.find_first_not_of(' '));
  for (auto& l : lines) l = trim(l).empty() ? std::string() : l.substr(indent);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  return lines;
}

// The lines between two `//! [name]` markers, without other markers (regions
// may overlap). A region may come in several parts (a struct at namespace
// scope, then code inside main()): each pair of markers is one part, dedented
// on its own, and the parts are joined with a blank line.
std::optional<std::vector<std::string>> region(const std::vector<std::string>& file,
                                               const std::string& name, std::string& error) {
  const std::string marker = "//! [" + name + "]";
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < file.size(); ++i)
    if (trim(file[i]) == marker) at.push_back(i);
  if (at.empty() || at.size() % 2 != 0) {
    error = at.empty() ? "has no region '" + name + "'"
                       : "marks region '" + name + "' " + std::to_string(at.size()) +
                             " times; each part of a region has a start and an end line";
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t p = 0; p < at.size(); p += 2) {
    std::vector<std::string> part;
    for (std::size_t i = at[p] + 1; i < at[p + 1]; ++i)
      if (!is_marker(file[i])) part.push_back(file[i]);
    if (!out.empty()) out.emplace_back();
    for (auto& l : dedent(std::move(part))) out.push_back(std::move(l));
  }
  return out;
}

// A whole file (a reference without #region), without its trailing blank lines.
std::optional<std::vector<std::string>> whole(std::vector<std::string> file) {
  while (!file.empty() && trim(file.back()).empty()) file.pop_back();
  return file;
}

struct Block {
  std::size_t open;   // index of the ```cpp line
  std::size_t close;  // index of the closing ``` line
  std::string reference;
};

int run(const fs::path& root, bool update) {
  std::vector<fs::path> pages{root / "README.md"};
  for (const auto& e : fs::directory_iterator(root / "docs"))
    if (e.path().extension() == ".md") pages.push_back(e.path());
  std::sort(pages.begin() + 1, pages.end());

  int problems = 0;
  std::size_t checked = 0;
  std::map<fs::path, std::vector<std::string>> samples;
  for (const auto& page : pages) {
    auto lines = read_lines(page);
    const std::string shown = fs::relative(page, root).string();
    std::vector<Block> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string t = trim(lines[i]);
      if (!t.starts_with("```")) continue;
      std::size_t close = i + 1;
      while (close < lines.size() && trim(lines[close]) != "```") ++close;
      std::size_t prev = i;
      while (prev > 0 && trim(lines[prev - 1]).empty()) --prev;
      std::string ref;
      if (prev > 0) {
        const std::string p = trim(lines[prev - 1]);
        const std::string open = "<!-- sample: ", end = " -->";
        if (p.starts_with(open) && p.ends_with(end))
          ref = p.substr(open.size(), p.size() - open.size() - end.size());
      }
      if (!ref.empty()) {
        blocks.push_back({i, close, ref});
      } else if (t == "```cpp" || t == "```c++" || t == "```C++") {
        std::cerr << shown << ":" << i + 1
                  << ": a C++ block without a `<!-- sample: file.cpp#region -->` line before "
                     "it; put the code in docs/samples/ so that it is compiled\n";
        ++problems;
      }
      i = close;
    }
    bool changed = false;
    // Back to front, so that rewriting a block keeps the earlier indexes valid.
    for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
      const auto hash = b->reference.find('#');
      const std::string where = shown + ":" + std::to_string(b->open + 1);
      const fs::path file =
          (root / "docs" / "samples" / b->reference.substr(0, hash)).lexically_normal();
      if (!samples.contains(file)) {
        if (!fs::exists(file)) {
          std::cerr << where << ": no sample program " << fs::relative(file, root).string() << "\n";
          ++problems;
          continue;
        }
        samples[file] = read_lines(file);
      }
      std::string error;
      auto code = hash == std::string::npos
                      ? whole(samples[file])
                      : region(samples[file], b->reference.substr(hash + 1), error);
      if (!code) {
        std::cerr << where << ": " << fs::relative(file, root).string() << " " << error << "\n";
        ++problems;
        continue;
      }
      ++checked;
      std::vector<std::string> body(lines.begin() + static_cast<std::ptrdiff_t>(b->open) + 1,
                                    lines.begin() + static_cast<std::ptrdiff_t>(b->close));
      if (body == *code) continue;
      if (update) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(b->open) + 1,
                    lines.begin() + static_cast<std::ptrdiff_t>(b->close));
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(b->open) + 1, code->begin(),
                     code->end());
        changed = true;
        continue;
      }
      std::size_t n = 0;
      while (n < body.size() && n < code->size() && body[n] == (*code)[n]) ++n;
      std::cerr << where << ": the block differs from " << b->reference << " at its line " << n + 1
                << "\n  docs:    " << (n < body.size() ? body[n] : "(block ends)")
                << "\n  program: " << (n < code->size() ? (*code)[n] : "(region ends)")
                << "\n  (doc_samples update <repository> copies the programs' regions in)\n";
      ++problems;
    }
    if (changed) {
      std::ofstream out(page);
      for (const auto& l : lines) out << l << "\n";
      std::cout << "updated " << shown << "\n";
    }
  }
  if (problems == 0) std::cout << checked << " blocks match their sample programs\n";
  return problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "check" && mode != "update") {
    std::cerr << "usage: doc_samples check|update <repository>\n";
    return 2;
  }
  return run(argv[2], mode == "update");
}
