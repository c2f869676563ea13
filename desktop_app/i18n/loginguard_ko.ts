<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko" sourcelanguage="en">
<context>
    <name>Controller</name>
    <message>
        <source>Enter your username and password.</source>
        <translation>사용자 이름과 비밀번호를 입력하세요.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>불러오는 중…</translation>
    </message>
    <message>
        <source>Could not load the sessions. %1</source>
        <translation>세션 목록을 불러오지 못했습니다. %1</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <source>Your account is in use on another PC. Waiting for it to allow this sign-in…</source>
        <translation>계정이 다른 PC에서 사용 중입니다. 그 PC에서 이 로그인을 허락하기를 기다리는 중입니다…</translation>
    </message>
    <message>
        <source>Your account is in use on another PC. Waiting for it to allow this sign-in… (%1 s)</source>
        <translation>계정이 다른 PC에서 사용 중입니다. 그 PC에서 이 로그인을 허락하기를 기다리는 중입니다… (%1초)</translation>
    </message>
    <message>
        <source>LoginGuard — Sign in</source>
        <translation>LoginGuard — 로그인</translation>
    </message>
    <message>
        <source>Sign in to LoginGuard</source>
        <translation>LoginGuard 로그인</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>서버</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>사용자 이름</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>비밀번호</translation>
    </message>
    <message>
        <source>This PC&apos;s name</source>
        <translation>이 PC의 이름</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Remember username</source>
        <translation>사용자 이름 기억하기</translation>
    </message>
    <message>
        <source>Stay signed in on this PC</source>
        <translation>이 PC에서 로그인 상태 유지</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>로그인하는 중…</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>로그인</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Connected</source>
        <translation>연결됨</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>연결하는 중…</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>다시 연결하는 중…</translation>
    </message>
    <message>
        <source>Offline — retrying in %1 s</source>
        <translation>오프라인 — %1초 후 다시 시도</translation>
    </message>
    <message>
        <source>Reconnecting in %1 s</source>
        <translation>%1초 후 다시 연결</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>오프라인</translation>
    </message>
    <message>
        <source>Signed in as %1</source>
        <translation>%1 님으로 로그인됨</translation>
    </message>
    <message>
        <source>LoginGuard</source>
        <translation>LoginGuard</translation>
    </message>
    <message>
        <source>This PC</source>
        <translation>이 PC</translation>
    </message>
    <message>
        <source>Signed in since</source>
        <translation>로그인 시각</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>연결 상태</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>로그아웃</translation>
    </message>
    <message>
        <source>Retry now</source>
        <translation>지금 다시 시도</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>less than a minute</source>
        <translation>1분 미만</translation>
    </message>
    <message>
        <source>about 1 minute</source>
        <translation>약 1분</translation>
    </message>
    <message>
        <source>about %1 minutes</source>
        <translation>약 %1분</translation>
    </message>
    <message>
        <source>about 1 hour</source>
        <translation>약 1시간</translation>
    </message>
    <message>
        <source>about %1 hours</source>
        <translation>약 %1시간</translation>
    </message>
    <message>
        <source>about %1 days</source>
        <translation>약 %1일</translation>
    </message>
    <message>
        <source>You were signed out because your account signed in on %1 (%2) at %3.</source>
        <translation>%3에 %1(%2)에서 같은 계정으로 로그인하여 이 PC에서 로그아웃되었습니다.</translation>
    </message>
    <message>
        <source>You were signed out because your account signed in on another PC.</source>
        <translation>다른 PC에서 같은 계정으로 로그인하여 이 PC에서 로그아웃되었습니다.</translation>
    </message>
    <message>
        <source>You were signed out because your session expired: it was idle too long or reached its time limit. Please sign in again.</source>
        <translation>세션이 만료되어 로그아웃되었습니다. 오랫동안 사용하지 않았거나 사용 시간 한도에 도달했습니다. 다시 로그인해 주세요.</translation>
    </message>
    <message>
        <source>You were signed out because your account was disabled. Please contact your administrator.</source>
        <translation>계정이 비활성화되어 로그아웃되었습니다. 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>You were signed out by an administrator.</source>
        <translation>관리자가 이 세션을 종료하여 로그아웃되었습니다.</translation>
    </message>
    <message>
        <source>You were signed out from %1 (%2) at %3.</source>
        <translation>%3에 %1(%2)에서 이 PC의 세션을 종료하여 로그아웃되었습니다.</translation>
    </message>
    <message>
        <source>You were signed out because this session was signed out elsewhere. Please sign in again.</source>
        <translation>다른 곳에서 이 세션을 로그아웃하여 로그아웃되었습니다. 다시 로그인해 주세요.</translation>
    </message>
    <message>
        <source>The server was restarted or reset and no longer knows this sign-in. Sign in again.</source>
        <translation>서버가 다시 시작되었거나 초기화되어 이 로그인 정보가 더 이상 남아 있지 않습니다. 다시 로그인해 주세요.</translation>
    </message>
    <message>
        <source>You were signed out because the server no longer accepts this sign-in (it may have been reset). Please sign in again.</source>
        <translation>서버가 이 로그인을 더 이상 인정하지 않아 로그아웃되었습니다(서버가 초기화되었을 수 있습니다). 다시 로그인해 주세요.</translation>
    </message>
    <message>
        <source>Wrong username or password.</source>
        <translation>사용자 이름 또는 비밀번호가 올바르지 않습니다.</translation>
    </message>
    <message>
        <source>This account is in use on %1 since %2. Sign out there first, or ask an administrator.</source>
        <translation>이 계정은 %2부터 %1에서 사용 중입니다. 먼저 그 PC에서 로그아웃하거나 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>Not signed in. The other PC stays signed in.</source>
        <translation>로그인하지 않았습니다. 다른 PC는 계속 로그인된 상태입니다.</translation>
    </message>
    <message>
        <source>Too many failed attempts. You can try again in %1.</source>
        <translation>로그인 실패가 너무 많습니다. 다시 시도할 수 있을 때까지 남은 시간: %1.</translation>
    </message>
    <message>
        <source>The other PC did not answer in time, so it stays signed in. Try again, or sign out there first.</source>
        <translation>다른 PC가 제시간에 응답하지 않아 그 PC가 로그인 상태로 남습니다. 다시 시도하거나 그 PC에서 먼저 로그아웃하세요.</translation>
    </message>
    <message>
        <source>A newer sign-in from this PC took this one&apos;s place.</source>
        <translation>이 PC에서 새로 시작한 로그인이 이 로그인을 대신했습니다.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again shortly.</source>
        <translation>다른 PC가 이미 이 계정으로 로그인 허락을 요청하고 있습니다. 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again in %1 s.</source>
        <translation>다른 PC가 이미 이 계정으로 로그인 허락을 요청하고 있습니다. %1초 후에 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again in %1.</source>
        <translation>다른 PC가 이미 이 계정으로 로그인 허락을 요청하고 있습니다. %1 후에 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The other PC declined this sign-in. It stays signed in.</source>
        <translation>다른 PC에서 이 로그인을 거부했습니다. 그 PC는 로그인 상태로 남습니다.</translation>
    </message>
    <message>
        <source>The server ran into a problem (HTTP %1). Try again shortly.</source>
        <translation>서버에 문제가 발생했습니다(HTTP %1). 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The server gave an answer this app does not understand (HTTP %1). Check the server address.</source>
        <translation>서버가 이 앱이 이해할 수 없는 응답을 보냈습니다(HTTP %1). 서버 주소를 확인하세요.</translation>
    </message>
    <message>
        <source>The server gave an answer this app does not understand. Check the server address.</source>
        <translation>서버가 이 앱이 이해할 수 없는 응답을 보냈습니다. 서버 주소를 확인하세요.</translation>
    </message>
    <message>
        <source>Too many failed attempts. Try again later.</source>
        <translation>로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>This account is being used on two PCs at once. Wait %1 or contact your administrator.</source>
        <translation>이 계정이 두 PC에서 동시에 사용되고 있습니다. %1 기다리거나 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>This account is being used on two PCs at once. Wait a few minutes or contact your administrator.</source>
        <translation>이 계정이 두 PC에서 동시에 사용되고 있습니다. 몇 분 기다리거나 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>The server cannot sign anyone in right now. Try again shortly.</source>
        <translation>지금은 서버에서 로그인을 처리할 수 없습니다. 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Sign-in cancelled.</source>
        <translation>로그인을 취소했습니다.</translation>
    </message>
    <message>
        <source>This account is disabled. Please contact your administrator.</source>
        <translation>이 계정은 비활성화되어 있습니다. 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>The server did not accept the username or this PC&apos;s name. Check them and try again.</source>
        <translation>서버가 사용자 이름 또는 이 PC의 이름을 받아들이지 않았습니다. 확인한 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Cannot reach the server at %1. Check the address and your network.</source>
        <translation>%1 서버에 연결할 수 없습니다. 주소와 네트워크를 확인하세요.</translation>
    </message>
    <message>
        <source>The server at %1 did not answer in time. Check your network, or try again shortly.</source>
        <translation>%1 서버가 제시간에 응답하지 않았습니다. 네트워크를 확인하거나 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>A secure connection to %1 could not be set up (a certificate or encryption problem). Check the address, or ask your administrator.</source>
        <translation>%1 서버와 보안 연결을 설정하지 못했습니다(인증서 또는 암호화 문제). 주소를 확인하거나 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <source>“%1” is not a server address. Example: http://127.0.0.1:8000</source>
        <translation>“%1”은(는) 서버 주소가 아닙니다. 예: http://127.0.0.1:8000</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>로그아웃됨</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>확인</translation>
    </message>
    <message>
        <source>Account in use</source>
        <translation>사용 중인 계정</translation>
    </message>
    <message>
        <source>This account is in use on %1 since %2. Sign in here and sign out the other PC?</source>
        <translation>이 계정은 %2부터 %1에서 사용 중입니다. 여기에서 로그인하고 다른 PC는 로그아웃할까요?</translation>
    </message>
    <message>
        <source>Sign in here</source>
        <translation>여기에서 로그인</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <source>Your sign-out has not reached the server at %1 yet. LoginGuard sends it as soon as the server answers.</source>
        <translation>로그아웃 요청이 아직 %1 서버에 전달되지 않았습니다. 서버가 응답하는 즉시 LoginGuard가 보냅니다.</translation>
    </message>
    <message>
        <source>Keep LoginGuard open until then: without a usable keychain this PC cannot keep it after you quit.</source>
        <translation>그때까지 LoginGuard를 종료하지 마세요. 이 PC에는 사용할 수 있는 키체인이 없어 종료하면 요청을 보관할 수 없습니다.</translation>
    </message>
    <message>
        <source>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself when it expires.</source>
        <translation>지난번 로그아웃 요청이 %1 서버에 전달되지 못했고, 이 PC에는 그 요청을 보관할 키체인이 없었습니다. 해당 세션은 만료되면 자동으로 끝납니다.</translation>
    </message>
    <message>
        <source>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself by %2 at the latest.</source>
        <translation>지난번 로그아웃 요청이 %1 서버에 전달되지 못했고, 이 PC에는 그 요청을 보관할 키체인이 없었습니다. 해당 세션은 늦어도 %2에 자동으로 끝납니다.</translation>
    </message>
    <message>
        <source>Your sign-out has reached the server.</source>
        <translation>로그아웃 요청이 서버에 전달되었습니다.</translation>
    </message>
    <message>
        <source>This PC&apos;s keychain could not be read, so you were not signed in automatically.</source>
        <translation>이 PC의 키체인을 읽을 수 없어 자동으로 로그인하지 못했습니다.</translation>
    </message>
    <message>
        <source>This PC&apos;s keychain could not be used, so you will have to sign in again after LoginGuard is closed.</source>
        <translation>이 PC의 키체인을 사용할 수 없어 LoginGuard를 닫은 뒤에는 다시 로그인해야 합니다.</translation>
    </message>
</context>
<context>
    <name>Sessions</name>
    <message>
        <source>End the session on %1 (%2), signed in since %3? That PC is signed out at once.</source>
        <translation>%3부터 로그인되어 있는 %1(%2)의 세션을 종료할까요? 그 PC는 즉시 로그아웃됩니다.</translation>
    </message>
    <message>
        <source>End the sessions on %1? Those PCs are signed out at once; this PC stays signed in.</source>
        <translation>%1의 세션을 종료할까요? 그 PC들은 즉시 로그아웃되고, 이 PC는 로그인 상태로 남습니다.</translation>
    </message>
    <message>
        <source>End all other sessions</source>
        <translation>다른 세션 모두 종료</translation>
    </message>
    <message>
        <source>End all</source>
        <translation>모두 종료</translation>
    </message>
    <message>
        <source>End session</source>
        <translation>세션 종료</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Could not end the other sessions. %1</source>
        <translation>다른 세션을 종료하지 못했습니다. %1</translation>
    </message>
    <message>
        <source>Could not end the session on %1. %2</source>
        <translation>%1의 세션을 종료하지 못했습니다. %2</translation>
    </message>
    <message>
        <source>The session on %1 had already ended.</source>
        <translation>%1의 세션은 이미 종료되었습니다.</translation>
    </message>
</context>
<context>
    <name>SessionsView</name>
    <message>
        <source>This PC</source>
        <translation>이 PC</translation>
    </message>
    <message>
        <source>End</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>Your sessions</source>
        <translation>내 세션</translation>
    </message>
    <message>
        <source>End all other sessions</source>
        <translation>다른 세션 모두 종료</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>기기</translation>
    </message>
    <message>
        <source>IP address</source>
        <translation>IP 주소</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>로그인 시각</translation>
    </message>
</context>
<context>
    <name>Takeover</name>
    <message>
        <source>The sign-in request from %1 had already timed out.</source>
        <translation>%1의 로그인 요청은 이미 시간이 초과되었습니다.</translation>
    </message>
    <message>
        <source>%1 had already cancelled its sign-in.</source>
        <translation>%1에서 이미 로그인을 취소했습니다.</translation>
    </message>
    <message>
        <source>The sign-in request from %1 had already ended before your answer arrived.</source>
        <translation>응답이 도착하기 전에 %1의 로그인 요청이 이미 끝났습니다.</translation>
    </message>
    <message>
        <source>Your answer did not reach the server. %1</source>
        <translation>응답이 서버에 전달되지 않았습니다. %1</translation>
    </message>
    <message>
        <source>Sign-in request</source>
        <translation>로그인 요청</translation>
    </message>
    <message>
        <source>Allow</source>
        <translation>허락</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>거부</translation>
    </message>
    <message>
        <source>%1 (%2) wants to sign in with your account. If you allow it, this PC is signed out.</source>
        <translation>%1(%2)에서 이 계정으로 로그인하려고 합니다. 허락하면 이 PC는 로그아웃됩니다.</translation>
    </message>
    <message>
        <source>Answer within %1 s.</source>
        <translation>%1초 안에 응답하세요.</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Signed out</source>
        <translation>로그아웃됨</translation>
    </message>
    <message>
        <source>Your account signed in on another PC. Open LoginGuard for details.</source>
        <translation>다른 PC에서 같은 계정으로 로그인했습니다. 자세한 내용은 LoginGuard를 열어 확인하세요.</translation>
    </message>
    <message>
        <source>Sign-in request</source>
        <translation>로그인 요청</translation>
    </message>
    <message>
        <source>Another PC wants to sign in with your account. Open LoginGuard to allow or deny it.</source>
        <translation>다른 PC에서 이 계정으로 로그인하려고 합니다. LoginGuard를 열어 허락하거나 거부하세요.</translation>
    </message>
    <message>
        <source>LoginGuard is still running</source>
        <translation>LoginGuard가 계속 실행 중입니다</translation>
    </message>
    <message>
        <source>You stay signed in. Use Quit in this icon&apos;s menu to close LoginGuard.</source>
        <translation>로그인 상태가 유지됩니다. LoginGuard를 끝내려면 이 아이콘 메뉴에서 종료를 선택하세요.</translation>
    </message>
    <message>
        <source>LoginGuard — connected</source>
        <translation>LoginGuard — 연결됨</translation>
    </message>
    <message>
        <source>LoginGuard — offline</source>
        <translation>LoginGuard — 오프라인</translation>
    </message>
    <message>
        <source>LoginGuard — signed out</source>
        <translation>LoginGuard — 로그아웃됨</translation>
    </message>
    <message>
        <source>Open LoginGuard</source>
        <translation>LoginGuard 열기</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>로그아웃</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
</context>
</TS>
