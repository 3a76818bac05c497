import type { AppProps } from '../desktop/WindowContent.js';
import { SHORTCUTS } from '../desktop/shortcuts.js';
import { THEME_LABEL } from '../desktop/theme.js';
import { ui, useHabitat, windows, type ThemeSetting } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { tabPanelProps, Tabs, type TabSpec } from '../ui/Tabs.js';
import { DeployDefaultsForm } from '../deploy/DeployDefaults.js';
import { About } from './About.js';
import { DesktopAppSettings, inDesktopApp } from './DesktopApp.js';
import { Images } from './Images.js';
import { Providers } from './Providers.js';
import { GpuTable } from './SystemMonitor.js';
import './apps.css';

const SECTIONS: TabSpec[] = [
  { id: 'appearance', label: 'Appearance', icon: 'sun' },
  { id: 'providers', label: 'Providers', icon: 'key' },
  { id: 'defaults', label: 'New agents', icon: 'rocket' },
  { id: 'images', label: 'Images', icon: 'box' },
  { id: 'gpus', label: 'GPUs', icon: 'gpu' },
  { id: 'workspace', label: 'Workspace', icon: 'layout' },
  { id: 'shortcuts', label: 'Shortcuts', icon: 'zap' },
  { id: 'about', label: 'About', icon: 'info' },
];
// the desktop app's own settings exist only there (the headless host has no keychain, updater or global shortcut)
const DESKTOP: TabSpec = { id: 'desktop', label: 'Desktop app', icon: 'layout' };

export default function Settings({ windowId, tab }: AppProps) {
  const sections = inDesktopApp() ? [...SECTIONS.slice(0, -1), DESKTOP, SECTIONS.at(-1)!] : SECTIONS;
  const selected = sections.some((s) => s.id === tab) ? tab! : 'appearance';
  const theme = useHabitat((s) => s.theme);
  const base = `${windowId}-settings`;
  return (
    <div className="app settings" data-testid="settings">
      <Tabs
        base={base}
        tabs={sections}
        selected={selected}
        onSelect={(id) => windows.updateProps(windowId, { tab: id })}
        label="Settings sections"
      />
      <div className="settings-body">
        <section {...tabPanelProps(base, 'appearance', selected)}>
          <h3>Theme</h3>
          <div className="theme-choices" role="radiogroup" aria-label="Theme">
            {(['dark', 'light', 'system'] as ThemeSetting[]).map((t) => (
              <label key={t} className={`theme-choice theme-${t}${theme === t ? ' checked' : ''}`}>
                <input
                  type="radio"
                  name={`${base}-theme`}
                  value={t}
                  checked={theme === t}
                  onChange={() => ui.setTheme(t)}
                />
                <span className="theme-swatch" aria-hidden="true" />
                {THEME_LABEL[t]}
              </label>
            ))}
          </div>
          <p className="muted">System follows your operating system's light or dark setting as it changes.</p>
        </section>
        <section {...tabPanelProps(base, 'providers', selected)}>
          <h3>Model providers</h3>
          <p className="muted">
            What drives an agent with a goal. The offline planner needs nothing; Gemini needs an API key;
            Ollama needs a server, on the host unless you give another address.
          </p>
          {selected === 'providers' && (
            <Providers
              onAddKey={inDesktopApp() ? () => windows.updateProps(windowId, { tab: DESKTOP.id }) : undefined}
            />
          )}
        </section>
        <section {...tabPanelProps(base, 'defaults', selected)}>
          <h3>Defaults for new agents</h3>
          <p className="muted">
            Every deploy starts from these; the deploy dialog and its presets still change them for one agent.
          </p>
          {selected === 'defaults' && <DeployDefaultsForm />}
        </section>
        <section {...tabPanelProps(base, 'images', selected)}>
          <h3>Sandbox images</h3>
          {selected === 'images' && <Images />}
        </section>
        <section {...tabPanelProps(base, 'gpus', selected)}>
          <h3>GPUs</h3>
          <GpuTable />
        </section>
        <section {...tabPanelProps(base, 'workspace', selected)}>
          <h3>Workspace</h3>
          <p className="muted">
            Open windows, their places and what they show are saved in this browser and restored when you come
            back.
          </p>
          <div className="button-row">
            <Button icon="layout" onClick={windows.arrange}>
              Arrange windows
            </Button>
            <Button
              icon="refresh"
              onClick={() => {
                windows.closeAll();
                windows.openApp('missionControl');
              }}
            >
              Reset the workspace
            </Button>
          </div>
        </section>
        <section {...tabPanelProps(base, 'shortcuts', selected)}>
          <h3>Keyboard shortcuts</h3>
          <table className="shortcut-table">
            <tbody>
              {SHORTCUTS.map((s) => (
                <tr key={s.keys}>
                  <th scope="row">
                    <kbd>{s.keys}</kbd>
                  </th>
                  <td>{s.does}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {inDesktopApp() && (
          <section {...tabPanelProps(base, 'desktop', selected)}>
            <h3>Desktop app</h3>
            {selected === 'desktop' && <DesktopAppSettings />}
          </section>
        )}
        <section {...tabPanelProps(base, 'about', selected)}>
          <h3>About this Habitat</h3>
          <About />
        </section>
      </div>
    </div>
  );
}
