//! People, organisations and roles: the vocabulary, the input checks shared by browser and server,
//! and the shapes that travel between them.

use super::ids::{OrganisationId, UserId, ZoneId};
use super::vocabulary::Bilingual;
use serde::{Deserialize, Serialize};

text_enum!(
    /// An institution of the zone owns resources; labs and enterprises book them.
    OrganisationKind { Institution = "institution", Lab = "lab", Enterprise = "enterprise" }
);
text_enum!(RoleName { InstitutionAdmin = "institution_admin", ZoneManager = "zone_manager", SiteAdmin = "site_admin" });
text_enum!(Language { ZhCn = "zh-CN", En = "en" });
text_enum!(
    /// Whether a person's membership of their organisation is confirmed. A person who said at
    /// sign-up that they belong to an existing organisation waits for a zone manager; until then
    /// (and after a refusal) they book as an outsider.
    Membership { Confirmed = "confirmed", Pending = "pending", Refused = "refused" }
);
text_enum!(
    /// What a personal API token may do: read what its person may read; also book, move and
    /// cancel their own bookings; or everything the person's roles allow.
    TokenScope { Read = "read", Book = "book", Admin = "admin" }
);
text_enum!(
    /// What a sign-up claim asks a zone manager to confirm.
    ClaimKind { NewOrganisation = "new_organisation", Join = "join" }
);

/// The name of the language-preference cookie; leptos_i18n reads it on every request.
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";
/// The cookie that carries a secret made by a plain form post (a new API token, a calendar
/// address) to the profile page, which shows it once and clears it.
pub const SHOWN_ONCE_COOKIE: &str = "shown_once";

/// A role together with what it is a role over. Everyone signed in is also a booker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    InstitutionAdmin(OrganisationId),
    ZoneManager(ZoneId),
    SiteAdmin,
}

impl Role {
    pub fn name(self) -> RoleName {
        match self {
            Role::InstitutionAdmin(_) => RoleName::InstitutionAdmin,
            Role::ZoneManager(_) => RoleName::ZoneManager,
            Role::SiteAdmin => RoleName::SiteAdmin,
        }
    }

    /// The id stored beside the role name: the institution, the zone, or 0.
    pub fn scope_id(self) -> i64 {
        match self {
            Role::InstitutionAdmin(id) => id.0,
            Role::ZoneManager(id) => id.0,
            Role::SiteAdmin => 0,
        }
    }

    pub fn from_parts(name: RoleName, scope_id: i64) -> Role {
        match name {
            RoleName::InstitutionAdmin => Role::InstitutionAdmin(OrganisationId(scope_id)),
            RoleName::ZoneManager => Role::ZoneManager(ZoneId(scope_id)),
            RoleName::SiteAdmin => Role::SiteAdmin,
        }
    }
}

/// The signed-in person, as the server established it from the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub name: String,
    pub email: String,
    pub language: Language,
    pub organisation: OrganisationId,
    pub organisation_name: Bilingual,
    pub organisation_kind: OrganisationKind,
    /// The zone the organisation belongs to, if it is inside one and the person's membership is
    /// confirmed.
    pub zone: Option<ZoneId>,
    pub membership: Membership,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_site_admin(&self) -> bool {
        self.has(Role::SiteAdmin)
    }

    /// The institutions this person administers.
    pub fn administered(&self) -> impl Iterator<Item = OrganisationId> + '_ {
        self.roles.iter().filter_map(|r| match r {
            Role::InstitutionAdmin(id) => Some(*id),
            _ => None,
        })
    }

    pub fn managed_zones(&self) -> impl Iterator<Item = ZoneId> + '_ {
        self.roles.iter().filter_map(|r| match r {
            Role::ZoneManager(id) => Some(*id),
            _ => None,
        })
    }
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Passwords people commonly choose, refused whatever their length.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "qwertyuiop12",
    "1qaz2wsx3edc",
    "1q2w3e4r5t6y",
    "password1234",
    "password123!",
    "iloveyou1234",
    "woaini123456",
    "woaini1314520",
    "admin1234567",
    "abc123456789",
    "qwerty123456",
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "a123456789",
    "abc1234567",
    "abcd123456",
    "iloveyou123",
    "password12",
    "password123",
    "password1234",
    "qwertyuiop",
    "qwerty12345",
    "woaini1314",
    "woaini520520",
    "zxcvbnm123",
    "admin12345",
    "welcome123",
    "p@ssw0rd123",
    "passw0rd123",
];

/// Whether `text` runs along the alphabet, the digits or a keyboard row (either way), or repeats
/// a short piece ("abcabcabcabc").
fn is_run(text: &str) -> bool {
    const ROWS: [&str; 5] = [
        "abcdefghijklmnopqrstuvwxyz",
        "01234567890",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
    ];
    let chars: Vec<char> = text.chars().collect();
    let along = |row: &str| {
        let reversed: String = row.chars().rev().collect();
        chars.windows(2).all(|w| {
            let pair: String = w.iter().collect();
            row.contains(&pair) || reversed.contains(&pair)
        })
    };
    let repeats = (1..=chars.len() / 2)
        .any(|n| chars.len().is_multiple_of(n) && chars.chunks(n).all(|c| c == &chars[..n]));
    repeats || ROWS.iter().any(|row| along(row))
}

/// Why a password is refused: each is a translation key under `invalid`.
pub fn check_password(password: &str, email: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("password_short");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("password_long");
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("password_common");
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Err("password_personal");
    }
    // No rules on which kinds of characters to mix (ASVS 2.1.9): long is what makes it strong.
    // Refused are only the few patterns guessers try first: one character over and over, or a
    // run along the alphabet, the digits or a keyboard row.
    let distinct = password
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if distinct < 5 || is_run(&lower) {
        return Err("password_weak");
    }
    Ok(())
}

/// A person's name as shown to others: 1–60 characters after trimming.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("name_missing"),
        1..=60 if !name.chars().any(char::is_control) => Ok(name.to_string()),
        _ => Err("name_invalid"),
    }
}

/// A phone number: digits with optional +, spaces, dashes and brackets; 5–20 digits.
pub fn check_phone(phone: &str) -> Result<String, &'static str> {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if allowed && (5..=20).contains(&digits) {
        Ok(phone.to_string())
    } else {
        Err("phone_invalid")
    }
}

const CREDIT_CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-letter
/// alphabet, the last a check character over the first 17. Returns the upper-cased code.
pub fn check_credit_code(code: &str) -> Result<String, &'static str> {
    let code = code.trim().to_uppercase();
    let values: Option<Vec<u32>> = code
        .chars()
        .map(|c| CREDIT_CODE_CHARS.find(c).map(|i| i as u32))
        .collect();
    let values = values.ok_or("credit_code_invalid")?;
    if values.len() != 18 {
        return Err("credit_code_invalid");
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(CREDIT_CODE_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    if values[17] == check {
        Ok(code)
    } else {
        Err("credit_code_invalid")
    }
}

/// An organisation to choose from when signing up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationOption {
    pub id: OrganisationId,
    pub name: Bilingual,
    pub kind: OrganisationKind,
}

/// What the profile page shows and edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub actor: Actor,
    pub phone: String,
    pub organisation_is_sme: bool,
    pub organisation_credit_code: String,
    pub organisation_in_zone: bool,
    /// The person's sign-up claim while a zone manager has not decided it.
    pub open_claim: Option<StandingClaim>,
    /// Where the person is signed in, the newest first.
    pub sessions: Vec<SessionView>,
    /// Personal API tokens still in force, the newest first.
    pub tokens: Vec<ApiTokenView>,
    /// Whether the person has a calendar feed address (shown only when made).
    pub has_calendar_feed: bool,
    pub utc_offset_seconds: i32,
}

/// One of a person's sessions: a device or browser signed in as them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// A public handle (the start of the stored hash; it cannot be used to sign in).
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    /// The session this page was asked for with.
    pub current: bool,
}

/// A sign-up claim: a new organisation that says it is in the zone or an SME, or a person who says
/// they belong to an existing organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingClaim {
    pub id: i64,
    pub kind: ClaimKind,
    pub person: String,
    pub email: String,
    pub verified: bool,
    pub organisation: Bilingual,
    pub organisation_kind: OrganisationKind,
    pub credit_code: String,
    /// What is claimed: for a new organisation, what the person ticked; for a join, what the
    /// organisation already is (what membership would bring).
    pub in_zone: bool,
    pub sme: bool,
    pub created_at: i64,
}

/// The zone managers' page of sign-up claims: the open ones, oldest first, and the latest decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsPage {
    pub zone: Bilingual,
    pub utc_offset_seconds: i32,
    pub open: Vec<StandingClaim>,
    pub decided: Vec<DecidedClaim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedClaim {
    pub claim: StandingClaim,
    pub approved: bool,
    /// What was granted, which may be less than was claimed.
    pub granted_in_zone: bool,
    pub granted_sme: bool,
    pub decided_at: i64,
    pub decided_by: String,
}

/// A personal API token as its owner sees it (never the secret, which is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl TokenScope {
    /// Whether a token of this scope may do what `needed` allows.
    pub fn covers(self, needed: TokenScope) -> bool {
        let rank = |s: TokenScope| match s {
            TokenScope::Read => 0,
            TokenScope::Book => 1,
            TokenScope::Admin => 2,
        };
        rank(self) >= rank(needed)
    }
}

/// A person as an administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub organisation: Bilingual,
    pub verified: bool,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted: bool,
}

/// An institution's people and open invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    pub institution: Bilingual,
    /// The zone's offset from UTC now, for showing times.
    pub utc_offset_seconds: i32,
    pub people: Vec<PersonRow>,
    pub invitations: Vec<InvitationRow>,
}

/// What the invitation page shows before the person accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub institution: Bilingual,
    pub email: String,
    /// An account with this address exists: accepting moves it into the institution.
    pub account_exists: bool,
}

/// The site administrators' page: everyone, with the roles that can be granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<PersonRow>,
    pub institutions: Vec<OrganisationOption>,
    pub zones: Vec<(ZoneId, Bilingual)>,
}

/// The outbox page: newest messages first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    pub utc_offset_seconds: i32,
    /// Which messages are listed: every one, or only those in one state.
    pub filter: Option<String>,
    pub waiting: i64,
    pub failed: i64,
    pub messages: Vec<OutboxRow>,
}

/// A message in the outbox as the site admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct OutboxRow {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub next_attempt_at: i64,
    /// "REQUEST" or "CANCEL" when a calendar invitation is attached, else empty.
    pub invite: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_must_be_long_varied_and_not_personal() {
        assert_eq!(check_password("short1A", "a@b.cn"), Err("password_short"));
        assert_eq!(
            check_password("qwertyuiop12", "a@b.cn"),
            Err("password_common")
        );
        assert_eq!(
            check_password("qwertyuiop", "a@b.cn"),
            Err("password_short")
        );
        assert_eq!(
            check_password("wangfang-2026x", "wangfang@lab.cn"),
            Err("password_personal")
        );
        assert_eq!(
            check_password("aaaaaaaaaaaa", "a@b.cn"),
            Err("password_weak")
        );
        assert_eq!(
            check_password("abcdefghijkl", "a@b.cn"),
            Err("password_weak")
        );
        assert_eq!(
            check_password("987654321098", "a@b.cn"),
            Err("password_weak")
        );
        assert_eq!(
            check_password("abc1abc1abc1", "a@b.cn"),
            Err("password_weak")
        );
        // No composition rules: twelve lower-case letters without a pattern will do.
        assert_eq!(check_password("kilnvioletsea", "a@b.cn"), Ok(()));
        assert_eq!(check_password("kiln-Violet-42", "a@b.cn"), Ok(()));
        // A long passphrase of one class is fine; Chinese counts.
        assert_eq!(
            check_password("correct horse battery staple", "a@b.cn"),
            Ok(())
        );
        assert_eq!(check_password("检测中心共享仪器2026", "a@b.cn"), Ok(()));
        assert_eq!(
            check_password(&"x1".repeat(65), "a@b.cn"),
            Err("password_long")
        );
    }

    #[test]
    fn credit_codes_carry_a_check_character() {
        // A published example code.
        assert_eq!(
            check_credit_code("91350100M000100Y43"),
            Ok("91350100M000100Y43".into())
        );
        assert_eq!(
            check_credit_code(" 91350100m000100y43 "),
            Ok("91350100M000100Y43".into())
        );
        assert!(check_credit_code("91350100M000100Y44").is_err());
        assert!(check_credit_code("91350100M000100Y4").is_err());
        assert!(check_credit_code("91350100I000100Y43").is_err());
    }

    #[test]
    fn names_and_phones_are_trimmed_and_bounded() {
        assert_eq!(check_name("  王芳 "), Ok("王芳".into()));
        assert_eq!(check_name("   "), Err("name_missing"));
        assert_eq!(check_name(&"名".repeat(61)), Err("name_invalid"));
        assert_eq!(
            check_phone("+86 138-0000-1234"),
            Ok("+86 138-0000-1234".into())
        );
        assert_eq!(check_phone("call me"), Err("phone_invalid"));
        assert_eq!(check_phone("123"), Err("phone_invalid"));
    }

    #[test]
    fn roles_round_trip_through_name_and_scope() {
        for role in [
            Role::InstitutionAdmin(OrganisationId(7)),
            Role::ZoneManager(ZoneId(1)),
            Role::SiteAdmin,
        ] {
            assert_eq!(Role::from_parts(role.name(), role.scope_id()), role);
        }
    }
}
