// Twenty mapped structs linked by one-to-many relationships (each with its
// many-to-one reverse), the size of a real application's model. How long this
// file takes to compile is a figure in docs/performance.md; running it maps the
// model, creates the tables and writes one row of each struct.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <relate/relate.hpp>

namespace model {

struct Company;
struct Division;
struct Department;
struct Team;
struct Employee;
struct Project;
struct Milestone;
struct Task;
struct Subtask;
struct Comment;
struct Attachment;
struct Review;
struct Approval;
struct Budget;
struct Expense;
struct Invoice;
struct Payment;
struct Receipt;
struct AuditEntry;
struct Tag;

struct Company {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  relate::Many<Division> divisions{};
  relate::Many<Department> departments{};
};
struct Division {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> company_id{};
  relate::One<Company> company{};
  relate::Many<Team> teams{};
  relate::Many<Employee> employees{};
};
struct Department {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> company_id{};
  relate::One<Company> company{};
  relate::Many<Project> projects{};
  relate::Many<Milestone> milestones{};
};
struct Team {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> division_id{};
  relate::One<Division> division{};
  relate::Many<Task> tasks{};
  relate::Many<Subtask> subtasks{};
};
struct Employee {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> division_id{};
  relate::One<Division> division{};
  relate::Many<Comment> comments{};
  relate::Many<Attachment> attachments{};
};
struct Project {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> department_id{};
  relate::One<Department> department{};
  relate::Many<Review> reviews{};
  relate::Many<Approval> approvals{};
};
struct Milestone {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> department_id{};
  relate::One<Department> department{};
  relate::Many<Budget> budgets{};
  relate::Many<Expense> expenses{};
};
struct Task {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> team_id{};
  relate::One<Team> team{};
  relate::Many<Invoice> invoices{};
  relate::Many<Payment> payments{};
};
struct Subtask {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> team_id{};
  relate::One<Team> team{};
  relate::Many<Receipt> receipts{};
  relate::Many<AuditEntry> audit_entrys{};
};
struct Comment {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> employee_id{};
  relate::One<Employee> employee{};
  relate::Many<Tag> tags{};
};
struct Attachment {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> employee_id{};
  relate::One<Employee> employee{};
};
struct Review {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> project_id{};
  relate::One<Project> project{};
};
struct Approval {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> project_id{};
  relate::One<Project> project{};
};
struct Budget {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> milestone_id{};
  relate::One<Milestone> milestone{};
};
struct Expense {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> milestone_id{};
  relate::One<Milestone> milestone{};
};
struct Invoice {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> task_id{};
  relate::One<Task> task{};
};
struct Payment {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> task_id{};
  relate::One<Task> task{};
};
struct Receipt {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> subtask_id{};
  relate::One<Subtask> subtask{};
};
struct AuditEntry {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> subtask_id{};
  relate::One<Subtask> subtask{};
};
struct Tag {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> comment_id{};
  relate::One<Comment> comment{};
};

void map(relate::Registry& registry) {
  registry.map<Company>("companys", [](auto& m) {
    m.column("id", &Company::id, relate::primary_key());
    m.column("name", &Company::name);
    m.column("note", &Company::note);
    m.relationship(
        "divisions", &Company::divisions,
        {.back_populates = "company", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "departments", &Company::departments,
        {.back_populates = "company", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Division>("divisions", [](auto& m) {
    m.column("id", &Division::id, relate::primary_key());
    m.column("name", &Division::name);
    m.column("note", &Division::note);
    m.column("company_id", &Division::company_id,
             relate::foreign_key("companys.id", relate::ReferentialAction::cascade));
    m.relationship("company", &Division::company, {.back_populates = "divisions"});
    m.relationship(
        "teams", &Division::teams,
        {.back_populates = "division", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "employees", &Division::employees,
        {.back_populates = "division", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Department>("departments", [](auto& m) {
    m.column("id", &Department::id, relate::primary_key());
    m.column("name", &Department::name);
    m.column("note", &Department::note);
    m.column("company_id", &Department::company_id,
             relate::foreign_key("companys.id", relate::ReferentialAction::cascade));
    m.relationship("company", &Department::company, {.back_populates = "departments"});
    m.relationship(
        "projects", &Department::projects,
        {.back_populates = "department", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "milestones", &Department::milestones,
        {.back_populates = "department", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Team>("teams", [](auto& m) {
    m.column("id", &Team::id, relate::primary_key());
    m.column("name", &Team::name);
    m.column("note", &Team::note);
    m.column("division_id", &Team::division_id,
             relate::foreign_key("divisions.id", relate::ReferentialAction::cascade));
    m.relationship("division", &Team::division, {.back_populates = "teams"});
    m.relationship(
        "tasks", &Team::tasks,
        {.back_populates = "team", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "subtasks", &Team::subtasks,
        {.back_populates = "team", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Employee>("employees", [](auto& m) {
    m.column("id", &Employee::id, relate::primary_key());
    m.column("name", &Employee::name);
    m.column("note", &Employee::note);
    m.column("division_id", &Employee::division_id,
             relate::foreign_key("divisions.id", relate::ReferentialAction::cascade));
    m.relationship("division", &Employee::division, {.back_populates = "employees"});
    m.relationship(
        "comments", &Employee::comments,
        {.back_populates = "employee", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "attachments", &Employee::attachments,
        {.back_populates = "employee", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Project>("projects", [](auto& m) {
    m.column("id", &Project::id, relate::primary_key());
    m.column("name", &Project::name);
    m.column("note", &Project::note);
    m.column("department_id", &Project::department_id,
             relate::foreign_key("departments.id", relate::ReferentialAction::cascade));
    m.relationship("department", &Project::department, {.back_populates = "projects"});
    m.relationship(
        "reviews", &Project::reviews,
        {.back_populates = "project", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "approvals", &Project::approvals,
        {.back_populates = "project", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Milestone>("milestones", [](auto& m) {
    m.column("id", &Milestone::id, relate::primary_key());
    m.column("name", &Milestone::name);
    m.column("note", &Milestone::note);
    m.column("department_id", &Milestone::department_id,
             relate::foreign_key("departments.id", relate::ReferentialAction::cascade));
    m.relationship("department", &Milestone::department, {.back_populates = "milestones"});
    m.relationship(
        "budgets", &Milestone::budgets,
        {.back_populates = "milestone", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "expenses", &Milestone::expenses,
        {.back_populates = "milestone", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Task>("tasks", [](auto& m) {
    m.column("id", &Task::id, relate::primary_key());
    m.column("name", &Task::name);
    m.column("note", &Task::note);
    m.column("team_id", &Task::team_id,
             relate::foreign_key("teams.id", relate::ReferentialAction::cascade));
    m.relationship("team", &Task::team, {.back_populates = "tasks"});
    m.relationship(
        "invoices", &Task::invoices,
        {.back_populates = "task", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "payments", &Task::payments,
        {.back_populates = "task", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Subtask>("subtasks", [](auto& m) {
    m.column("id", &Subtask::id, relate::primary_key());
    m.column("name", &Subtask::name);
    m.column("note", &Subtask::note);
    m.column("team_id", &Subtask::team_id,
             relate::foreign_key("teams.id", relate::ReferentialAction::cascade));
    m.relationship("team", &Subtask::team, {.back_populates = "subtasks"});
    m.relationship(
        "receipts", &Subtask::receipts,
        {.back_populates = "subtask", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship(
        "audit_entrys", &Subtask::audit_entrys,
        {.back_populates = "subtask", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Comment>("comments", [](auto& m) {
    m.column("id", &Comment::id, relate::primary_key());
    m.column("name", &Comment::name);
    m.column("note", &Comment::note);
    m.column("employee_id", &Comment::employee_id,
             relate::foreign_key("employees.id", relate::ReferentialAction::cascade));
    m.relationship("employee", &Comment::employee, {.back_populates = "comments"});
    m.relationship(
        "tags", &Comment::tags,
        {.back_populates = "comment", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Attachment>("attachments", [](auto& m) {
    m.column("id", &Attachment::id, relate::primary_key());
    m.column("name", &Attachment::name);
    m.column("note", &Attachment::note);
    m.column("employee_id", &Attachment::employee_id,
             relate::foreign_key("employees.id", relate::ReferentialAction::cascade));
    m.relationship("employee", &Attachment::employee, {.back_populates = "attachments"});
  });
  registry.map<Review>("reviews", [](auto& m) {
    m.column("id", &Review::id, relate::primary_key());
    m.column("name", &Review::name);
    m.column("note", &Review::note);
    m.column("project_id", &Review::project_id,
             relate::foreign_key("projects.id", relate::ReferentialAction::cascade));
    m.relationship("project", &Review::project, {.back_populates = "reviews"});
  });
  registry.map<Approval>("approvals", [](auto& m) {
    m.column("id", &Approval::id, relate::primary_key());
    m.column("name", &Approval::name);
    m.column("note", &Approval::note);
    m.column("project_id", &Approval::project_id,
             relate::foreign_key("projects.id", relate::ReferentialAction::cascade));
    m.relationship("project", &Approval::project, {.back_populates = "approvals"});
  });
  registry.map<Budget>("budgets", [](auto& m) {
    m.column("id", &Budget::id, relate::primary_key());
    m.column("name", &Budget::name);
    m.column("note", &Budget::note);
    m.column("milestone_id", &Budget::milestone_id,
             relate::foreign_key("milestones.id", relate::ReferentialAction::cascade));
    m.relationship("milestone", &Budget::milestone, {.back_populates = "budgets"});
  });
  registry.map<Expense>("expenses", [](auto& m) {
    m.column("id", &Expense::id, relate::primary_key());
    m.column("name", &Expense::name);
    m.column("note", &Expense::note);
    m.column("milestone_id", &Expense::milestone_id,
             relate::foreign_key("milestones.id", relate::ReferentialAction::cascade));
    m.relationship("milestone", &Expense::milestone, {.back_populates = "expenses"});
  });
  registry.map<Invoice>("invoices", [](auto& m) {
    m.column("id", &Invoice::id, relate::primary_key());
    m.column("name", &Invoice::name);
    m.column("note", &Invoice::note);
    m.column("task_id", &Invoice::task_id,
             relate::foreign_key("tasks.id", relate::ReferentialAction::cascade));
    m.relationship("task", &Invoice::task, {.back_populates = "invoices"});
  });
  registry.map<Payment>("payments", [](auto& m) {
    m.column("id", &Payment::id, relate::primary_key());
    m.column("name", &Payment::name);
    m.column("note", &Payment::note);
    m.column("task_id", &Payment::task_id,
             relate::foreign_key("tasks.id", relate::ReferentialAction::cascade));
    m.relationship("task", &Payment::task, {.back_populates = "payments"});
  });
  registry.map<Receipt>("receipts", [](auto& m) {
    m.column("id", &Receipt::id, relate::primary_key());
    m.column("name", &Receipt::name);
    m.column("note", &Receipt::note);
    m.column("subtask_id", &Receipt::subtask_id,
             relate::foreign_key("subtasks.id", relate::ReferentialAction::cascade));
    m.relationship("subtask", &Receipt::subtask, {.back_populates = "receipts"});
  });
  registry.map<AuditEntry>("audit_entrys", [](auto& m) {
    m.column("id", &AuditEntry::id, relate::primary_key());
    m.column("name", &AuditEntry::name);
    m.column("note", &AuditEntry::note);
    m.column("subtask_id", &AuditEntry::subtask_id,
             relate::foreign_key("subtasks.id", relate::ReferentialAction::cascade));
    m.relationship("subtask", &AuditEntry::subtask, {.back_populates = "audit_entrys"});
  });
  registry.map<Tag>("tags", [](auto& m) {
    m.column("id", &Tag::id, relate::primary_key());
    m.column("name", &Tag::name);
    m.column("note", &Tag::note);
    m.column("comment_id", &Tag::comment_id,
             relate::foreign_key("comments.id", relate::ReferentialAction::cascade));
    m.relationship("comment", &Tag::comment, {.back_populates = "tags"});
  });
}

}  // namespace model

int main() {
  relate::Registry registry;
  model::map(registry);
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  relate::Session session(engine, registry);
  auto company = relate::make<model::Company>(model::Company{.name = "acme"});
  auto division = relate::make<model::Division>(model::Division{.name = "north"});
  company->divisions.push_back(division);
  session.add(company);
  session.commit();
  const auto n = session.query<model::Division>().count();
  std::printf("%zu mappers, %lld division(s)\n", registry.mappers().size(),
              static_cast<long long>(n));
  return registry.mappers().size() == 20 && n == 1 ? 0 : 1;
}
