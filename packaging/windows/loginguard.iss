; Inno Setup script for the LoginGuard desktop app (Windows installer).
;
; Inno Setup runs on Windows only: never compiled on the project's Linux machine. The
; release workflow (.github/workflows/release.yml) compiles it on a Windows runner through
; `python packaging\build.py` (packaging/installers.py), which passes the version and the
; publisher from the project's files and then installs the result silently per-user,
; smoke-tests the installed app and uninstalls it. By hand, after build.py:
;
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\loginguard.iss
;
; -> dist\loginguard-0.1.0-setup.exe. Needs Inno Setup 6.3 or newer (Korean.isl became an
; official translation in 6.3; "x64compatible" is 6.3 syntax too). Silent per-user install:
;   loginguard-0.1.0-setup.exe /VERYSILENT /CURRENTUSER

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef AppPublisher
  #define AppPublisher "LoginGuard maintainers"
#endif
#define AppName "LoginGuard"
#define AppExe "loginguard.exe"

[Setup]
; Never change AppId: Windows finds the installed copy (upgrade, uninstall) by it.
AppId={{FE0C6DDE-5E41-40A1-9E8B-51DD652B5BB4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
; Per-user by default (no admin prompt, into %LOCALAPPDATA%\Programs); the dialog, or
; /ALLUSERS on the command line, installs for all users instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Paths below are relative to this script's folder.
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=loginguard-{#AppVersion}-setup
SetupIconFile=build\assets\icons\loginguard.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
VersionInfoVersion={#AppVersion}
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running LoginGuard before files are replaced, and start it again afterwards.
CloseApplications=yes
RestartApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "korean"; MessagesFile: "compiler:Languages\Korean.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: loginguard.exe plus _internal\ (Python, Qt, translations).
Source: "dist\loginguard\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

