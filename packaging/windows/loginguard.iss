; Inno Setup script for the LoginGuard desktop app (Windows installer).
;
; NOT BUILT OR TESTED on the project's Linux machine: Inno Setup runs on Windows only.
; On Windows, from the repository root, after `python packaging\build.py` has produced
; dist\loginguard\loginguard.exe and build\assets\icons\loginguard.ico:
;
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\loginguard.iss
;
; -> dist\loginguard-0.1.0-setup.exe. Needs Inno Setup 6.3 or newer (Korean.isl became an
; official translation in 6.3; "x64compatible" is 6.3 syntax too).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "LoginGuard"
#define AppExe "loginguard.exe"

[Setup]
; Never change AppId: Windows finds the installed copy (upgrade, uninstall) by it.
AppId={{FE0C6DDE-5E41-40A1-9E8B-51DD652B5BB4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=LoginGuard developers
; Per-user by default (no admin prompt); the dialog offers an all-users install.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Paths below are relative to this script's folder.
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=loginguard-{#AppVersion}-setup
SetupIconFile=build\assets\icons\loginguard.ico
UninstallDisplayIcon={app}\{#AppExe}
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

