// `checkout-edge staff add|remove|list`: the staff console's accounts, kept
// in the web module's data folder (STATE/data/web/staff.json, 0600) as
// Argon2id hashes. The password is read from the terminal without echo, or
// from standard input (--password-stdin), never from the command line,
// where other users would see it in the process list.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "modules/web/staff_accounts.h"

namespace ce {

namespace {

std::string read_line_quietly(const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) throw std::runtime_error("no password was given (standard input ended)");
  return line;
}

}  // namespace

int staff_command(const StateDir& state, const StaffOptions& options) {
  StaffAccounts accounts(state.data_dir(options.module) / "staff.json");
  if (options.action == "list") {
    for (const auto& name : accounts.names()) std::cout << name << "\n";
    return 0;
  }
  if (options.name.empty())
    throw std::runtime_error("name the member of staff: checkout-edge staff " + options.action +
                             " NAME");
  if (options.action == "remove") {
    if (!accounts.remove(options.name)) {
      std::cerr << "checkout-edge: no staff account '" << options.name << "' in "
                << accounts.file().string() << "\n";
      return 1;
    }
    std::cout << "Removed " << options.name << "; their open sessions in the console have ended\n";
    return 0;
  }
  std::string password = read_line_quietly("Password for " + options.name + ": ");
  if (!options.password_stdin && isatty(STDIN_FILENO) &&
      read_line_quietly("The same again: ") != password)
    throw std::runtime_error("the two passwords differ; nothing was changed");
  accounts.add(options.name, password);
  std::cout << "Staff account " << options.name << " saved in " << accounts.file().string()
            << "; log in at the console's address (checkout-edge twin " << options.module
            << " shows consoleUrl)\n";
  return 0;
}

}  // namespace ce
