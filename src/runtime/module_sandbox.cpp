#include "runtime/module_sandbox.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ce {

namespace fs = std::filesystem;

bool within(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

namespace {

// Debian 12's kernel headers stop at ABI 2; the later rights and the
// scopes are fixed numbers of the kernel's ABI.
constexpr unsigned long long kTruncate = 1ULL << 14;    // ABI 3
constexpr unsigned long long kIoctlDev = 1ULL << 15;    // ABI 5
constexpr unsigned long long kScopeSignal = 1ULL << 1;  // ABI 6

struct RulesetAttr {
  unsigned long long handled_access_fs;
  unsigned long long handled_access_net;
  unsigned long long scoped;
};

constexpr unsigned long long kRead =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr unsigned long long kWriteBase =
    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
    LANDLOCK_ACCESS_FS_MAKE_SYM;
// The rights a rule on a file (not a folder) may carry.
constexpr unsigned long long kFileRights = LANDLOCK_ACCESS_FS_EXECUTE |
                                           LANDLOCK_ACCESS_FS_WRITE_FILE |
                                           LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | kIoctlDev;

// Folders whose contents no setting may open for writing: the programs and
// the system's configuration.
bool system_folder(const fs::path& p) {
  static const char* const kSystem[] = {"/usr",   "/etc",    "/bin",  "/sbin", "/lib", "/lib32",
                                        "/lib64", "/libx32", "/boot", "/proc", "/sys"};
  std::string s = p.string();
  for (const char* root : kSystem) {
    std::string r = root;
    if (s == r || s.rfind(r + "/", 0) == 0) return true;
  }
  return s == "/";
}

fs::path canonical_or_empty(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? fs::path() : c;
}

void collect_paths(const nlohmann::json& j, std::set<fs::path>& out) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s.size() > 1 && s[0] == '/' && s.find('\n') == std::string::npos) out.insert(s);
  } else if (j.is_structured()) {
    for (const auto& v : j) collect_paths(v, out);
  }
}

}  // namespace

int landlock_abi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

std::string why_modules_are_not_confined() {
  if (landlock_abi() > 0) return "";
  return errno == EOPNOTSUPP
             ? "Landlock is built into this kernel but not enabled (boot with lsm=...,landlock)"
             : "this kernel has no Landlock (Linux 5.13 or later has it)";
}

std::set<fs::path> paths_named_by(const ModuleSpec& module) {
  std::set<fs::path> out;
  collect_paths(module.desired, out);
  for (const auto& [name, value] : module.env) collect_paths(value, out);
  return out;
}

ModuleSandbox::ModuleSandbox(const ModuleSpec& module, const StateDir& state,
                             const std::vector<const ModuleSpec*>& lane)
    : state_(canonical_or_empty(fs::absolute(state.root))) {
  int abi = landlock_abi();
  if (abi <= 0) throw std::runtime_error(why_modules_are_not_confined());
  if (state_.empty() || state_ == "/")
    throw std::runtime_error("the state folder " + state.root.string() + " cannot be kept apart");
  handled_ = kRead | kWriteBase;
  if (abi >= 2) handled_ |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) handled_ |= kTruncate;
  if (abi >= 5) handled_ |= kIoctlDev;
  RulesetAttr attr{handled_, 0, abi >= 6 ? kScopeSignal : 0};
  size_t size = abi >= 6   ? sizeof attr
                : abi >= 4 ? 2 * sizeof(unsigned long long)
                           : sizeof(unsigned long long);
  ruleset_fd_ = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset_fd_ < 0)
    throw std::runtime_error(std::string("the kernel refused a Landlock ruleset: ") +
                             strerror(errno));
  const unsigned long long read = kRead | kIoctlDev, write = handled_;

  // The machine, read-only, all but the lane's state folder and the devices.
  allow_except_state("/", read & ~kIoctlDev);
  // The devices a module may use: the basics, sound, and the device classes
  // of cameras, scales, scanners and keypads; any other (a disk) only when
  // its settings name it.
  for (const char* device :
       {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
        "/dev/pts", "/dev/shm", "/dev/snd", "/dev/input", "/dev/serial", "/dev/v4l"})
    allow(device, write);
  std::error_code ec;
  for (fs::directory_iterator it("/dev", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    for (const char* prefix : {"video", "ttyACM", "ttyUSB", "hidraw"})
      if (name.rfind(prefix, 0) == 0) allow(it->path(), write);
  }
  // Where a program may make its files.
  for (const char* tmp : {"/tmp", "/var/tmp"})
    if (fs::is_directory(tmp)) allow_except_state(tmp, write);
  allow(state.data_dir(module.name), write);
  ec.clear();
  if (module.builtin == "classifier" || module.builtin == "web") {
    fs::path exports = state_ / "learning-exports";
    fs::create_directories(exports, ec);
    allow(exports, write);
  }
  if (module.builtin == "web")
    for (const ModuleSpec* other : lane) {
      if (!other || other->builtin != "classifier") continue;
      auto model = other->desired.find("model");
      if (model == other->desired.end() || !model->is_object()) continue;
      fs::path package = canonical_or_empty(model->value("package", ""));
      fs::path folder = package.parent_path();
      if (package.empty() || within(folder, state_) || within(state_, folder) ||
          system_folder(folder))
        continue;
      allow(folder, write);
    }

  for (const fs::path& named : paths_named_by(module)) {
    fs::path p = canonical_or_empty(named);
    if (p.empty()) continue;
    if (within(state_, p)) {
      // The state folder itself, or a folder holding it: its public parts.
      for (const char* part : {"logs", "status"}) allow(state_ / part, read);
      // The console's key (its staff's hub login) is the web module's alone.
      if (module.builtin == "web") allow(state_ / "console.key", read);
      if (p != state_) allow_except_state(p, write);
      continue;
    }
    if (within(p, state_)) {
      // The state folder's own entries stay the lane's; anything else in it a
      // setting names (the speech's WAVs, the served model) is the module's.
      // A missing folder is made, as Docker makes a bind mount's.
      static const std::set<std::string> kLanes = {"admin.key",
                                                   "console.key",
                                                   "agent.json",
                                                   "agent.lock",
                                                   "hub",
                                                   "status",
                                                   "learning-exports",
                                                   "data",
                                                   "logs",
                                                   "deployment.json",
                                                   "deployment.previous.json"};
      std::string first = p.lexically_relative(state_).begin()->string();
      if (kLanes.count(first) || first.ends_with(".tmp")) continue;
      if (!fs::exists(p, ec) && !p.has_extension()) fs::create_directories(p, ec);
      allow(p, write);
      continue;
    }
    if (system_folder(p)) continue;
    // A folder a setting names that is not there yet is made (as Docker makes
    // a bind mount's), so that the module may fill it.
    if (!fs::exists(p, ec) && !p.has_extension() && fs::is_directory(p.parent_path(), ec) &&
        !system_folder(p.parent_path()))
      fs::create_directories(p, ec);
    if (fs::exists(p, ec)) {
      allow(p, write);
    } else if (fs::path parent = p.parent_path();
               fs::is_directory(parent, ec) && !system_folder(parent) && !within(state_, parent)) {
      allow(parent, write);  // a file the module will make
    }
  }
}

ModuleSandbox::~ModuleSandbox() {
  if (ruleset_fd_ >= 0) close(ruleset_fd_);
}

void ModuleSandbox::allow(const fs::path& path, unsigned long long access) {
  // Never through a link: one in a shared folder could point into the state.
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;  // not there: nothing to allow
  struct stat st {};
  if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)) {
    landlock_path_beneath_attr rule{};
    rule.allowed_access = access & handled_;
    if (!S_ISDIR(st.st_mode)) rule.allowed_access &= kFileRights;
    rule.parent_fd = fd;
    if (rule.allowed_access != 0 &&
        syscall(SYS_landlock_add_rule, ruleset_fd_, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
      int err = errno;
      close(fd);
      throw std::runtime_error("the kernel refused a Landlock rule for " + path.string() + ": " +
                               strerror(err));
    }
  }
  close(fd);
}

void ModuleSandbox::allow_except_state(const fs::path& path, unsigned long long access) {
  fs::path p = canonical_or_empty(path);
  if (!p.empty()) allow_beneath(p, access);
}

void ModuleSandbox::allow_beneath(const fs::path& p, unsigned long long access) {
  // The devices are allowed one class at a time (a disk holds the state).
  if (p == state_ || p == "/dev") return;
  // Only a folder on the way to those is walked, and only its entries get
  // rules: a shared /tmp may hold thousands.
  bool on_the_way = within(state_, p) || p == "/";
  if (!on_the_way) return allow(p, access);
  std::error_code ec;
  for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
    if (!it->is_symlink(ec)) allow_beneath(it->path(), access);  // canonical: no link walked
}

bool ModuleSandbox::enter() const {
  // A lane run as root would hand its modules root's capabilities, and with
  // them another process's memory (CAP_SYS_PTRACE passes Landlock's scope)
  // and the raw disk. A module keeps the user but none of the capabilities,
  // and gains none by exec (SECBIT_NOROOT). Without CAP_SETPCAP (not root)
  // there are none to drop and these calls fail harmlessly.
  for (int cap = 0; cap <= 63; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  prctl(PR_SET_SECUREBITS,
        SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
            SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
        0, 0, 0);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (syscall(SYS_capset, &header, none) != 0) return false;
  // No set-user-ID program may lift the rules (the kernel requires this).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_landlock_restrict_self, ruleset_fd_, 0) == 0;
}

}  // namespace ce
