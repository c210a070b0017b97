/**
 * Creating and editing a campaign: name, audience, the channels with their templates and a live preview for a
 * chosen contact, when it sends (draft, now, or at a time), a recipient-local time of day, a throttle, an end date.
 */
import { useEffect, useState } from 'preact/hooks';
import { CHANNELS, type Channel } from '../../src/domain/vocabulary';
import { ApiError, audiences, campaigns, contacts, editor, type CampaignInput, type CampaignView, type PreviewView } from './api';
import { ErrorNote, Link } from './components';
import { navigate, useDebounced } from './hooks';

/** What each channel's template has: a subject (email subject, push and web push title) and, for email, HTML. */
const HAS_SUBJECT: Record<Channel, boolean> = { email: true, sms: false, push: true, webpush: true };
const SUBJECT_LABEL: Record<Channel, string> = { email: 'Subject', sms: '', push: 'Title', webpush: 'Title' };

interface ChannelForm {
  on: boolean;
  subject: string;
  body: string;
  html: string;
}

/** The editor's fields as typed (strings), turned into the API's body by `toBody`. */
interface Form {
  name: string;
  audienceId: string;
  channels: Record<Channel, ChannelForm>;
  localTime: string;
  throttleOn: boolean;
  limit: string;
  periodSeconds: string;
  endAt: string;
  resendInDoubt: boolean;
  when: 'draft' | 'now' | 'at';
  at: string;
}

const emptyChannel = (): ChannelForm => ({ on: false, subject: '', body: '', html: '' });

function emptyForm(): Form {
  const channels = Object.fromEntries(CHANNELS.map((c) => [c, emptyChannel()])) as Record<Channel, ChannelForm>;
  channels.email.on = true;
  return { name: '', audienceId: '', channels, localTime: '', throttleOn: false, limit: '1000', periodSeconds: '60', endAt: '', resendInDoubt: false, when: 'draft', at: '' };
}

/** A datetime-local input's value for an ISO time, in the browser's time zone. */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromCampaign(c: CampaignView): Form {
  const form = emptyForm();
  form.channels.email.on = false;
  for (const ch of c.channels) form.channels[ch.channel] = { on: true, subject: ch.subject ?? '', body: ch.body, html: ch.html ?? '' };
  return {
    ...form,
    name: c.name,
    audienceId: c.audienceId,
    localTime: c.localTime ?? '',
    throttleOn: !!c.throttle,
    limit: String(c.throttle?.limit ?? 1000),
    periodSeconds: String(c.throttle?.periodSeconds ?? 60),
    endAt: localInput(c.endAt),
    resendInDoubt: c.resendInDoubt,
  };
}

/** The channels switched on, as the API takes them. */
function channelsOf(form: Form): CampaignInput['channels'] {
  return CHANNELS.filter((c) => form.channels[c].on).map((channel) => {
    const f = form.channels[channel];
    return {
      channel,
      body: f.body,
      ...(HAS_SUBJECT[channel] && f.subject !== '' ? { subject: f.subject } : {}),
      ...(channel === 'email' && f.html !== '' ? { html: f.html } : {}),
    };
  });
}

function toBody(form: Form): CampaignInput {
  return {
    name: form.name.trim(),
    audienceId: form.audienceId,
    channels: channelsOf(form),
    localTime: form.localTime || null,
    throttle: form.throttleOn ? { limit: Number(form.limit), periodSeconds: Number(form.periodSeconds) } : null,
    endAt: form.endAt ? new Date(form.endAt).toISOString() : null,
    resendInDoubt: form.resendInDoubt,
  };
}

/** The editor page: a new campaign (`id` absent) or a Draft's edit. */
export function CampaignEditor({ id }: { id?: string }) {
  const [form, setForm] = useState<Form | undefined>(id ? undefined : emptyForm());
  const [audienceList, setAudienceList] = useState<{ id: string; name: string; type: string }[]>([]);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    audiences.list().then(
      (r) => setAudienceList(r.items),
      (err: ApiError) => setError(err),
    );
    if (id) {
      campaigns.get(id).then(
        (c) => setForm(fromCampaign(c)),
        (err: ApiError) => setError(err),
      );
    }
  }, [id]);

  if (!form) {
    return (
      <section>
        <Link to="/">← Campaigns</Link>
        <ErrorNote error={error} />
        {!error ? <p>Loading…</p> : null}
      </section>
    );
  }
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const setChannel = (c: Channel, patch: Partial<ChannelForm>) => set({ channels: { ...form.channels, [c]: { ...form.channels[c], ...patch } } });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = toBody(form);
      const saved = id ? await editor.update(id, body) : await editor.create(body);
      if (form.when === 'now') await campaigns.send(saved.id);
      if (form.when === 'at') await campaigns.schedule(saved.id, new Date(form.at).toISOString());
      navigate(`/campaigns/${saved.id}`);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <section class="editor">
      <Link to={id ? `/campaigns/${id}` : '/'}>← {id ? 'Campaign' : 'Campaigns'}</Link>
      <h1>{id ? `Edit ${form.name}` : 'New campaign'}</h1>
      <form onSubmit={(e) => void submit(e)} class="editor-grid">
        <div class="editor-fields">
          <label class="field">
            Name
            <input name="name" value={form.name} maxLength={200} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} required />
          </label>
          <label class="field">
            Audience
            <select name="audienceId" value={form.audienceId} onChange={(e) => set({ audienceId: (e.target as HTMLSelectElement).value })} required>
              <option value="">Choose an audience…</option>
              {audienceList.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.type})
                </option>
              ))}
            </select>
            <span class="hint">
              <Link to="/audiences">Make an audience</Link> from a list of contacts or a filter.
            </span>
          </label>

          <fieldset class="channels">
            <legend>Channels and templates</legend>
            <p class="hint">
              Liquid templates: <code>{'{{ contact.first_name }}'}</code> reads a contact attribute, <code>{'{{ contact.email }}'}</code> a field.
            </p>
            {CHANNELS.map((c) => (
              <div key={c} class={`channel ${form.channels[c].on ? 'on' : ''}`} data-channel={c}>
                <label class="check">
                  <input type="checkbox" name={`channel-${c}`} checked={form.channels[c].on} onChange={(e) => setChannel(c, { on: (e.target as HTMLInputElement).checked })} />
                  {c}
                </label>
                {form.channels[c].on ? (
                  <>
                    {HAS_SUBJECT[c] ? (
                      <label class="field">
                        {SUBJECT_LABEL[c]} ({c})
                        <input value={form.channels[c].subject} onInput={(e) => setChannel(c, { subject: (e.target as HTMLInputElement).value })} required={c === 'email'} />
                      </label>
                    ) : null}
                    <label class="field">
                      Body ({c})
                      <textarea rows={c === 'email' ? 5 : 3} value={form.channels[c].body} onInput={(e) => setChannel(c, { body: (e.target as HTMLTextAreaElement).value })} required />
                    </label>
                    {c === 'email' ? (
                      <label class="field">
                        HTML part (optional)
                        <textarea rows={3} value={form.channels[c].html} onInput={(e) => setChannel(c, { html: (e.target as HTMLTextAreaElement).value })} />
                      </label>
                    ) : null}
                  </>
                ) : null}
              </div>
            ))}
          </fieldset>

          <fieldset>
            <legend>When</legend>
            <label class="field">
              Send
              <select name="when" aria-label="Send" value={form.when} onChange={(e) => set({ when: (e.target as HTMLSelectElement).value as Form['when'] })}>
                <option value="draft">Later: save as a draft</option>
                <option value="now">Now</option>
                <option value="at">At a time</option>
              </select>
            </label>
            {form.when === 'at' ? (
              <label class="field">
                Send at (your local time)
                <input type="datetime-local" name="at" value={form.at} onInput={(e) => set({ at: (e.target as HTMLInputElement).value })} required />
              </label>
            ) : null}
            <label class="field">
              Recipient-local time of day (optional)
              <input type="time" name="localTime" value={form.localTime} onInput={(e) => set({ localTime: (e.target as HTMLInputElement).value })} />
              <span class="hint">Each recipient gets it at this time in their own time zone (UTC when the contact has none).</span>
            </label>
            <label class="check">
              <input type="checkbox" name="throttleOn" checked={form.throttleOn} onChange={(e) => set({ throttleOn: (e.target as HTMLInputElement).checked })} /> Throttle
            </label>
            {form.throttleOn ? (
              <div class="inline">
                at most
                <input type="number" min={1} name="limit" aria-label="Messages per period" value={form.limit} onInput={(e) => set({ limit: (e.target as HTMLInputElement).value })} />
                messages per
                <input type="number" min={1} name="periodSeconds" aria-label="Period in seconds" value={form.periodSeconds} onInput={(e) => set({ periodSeconds: (e.target as HTMLInputElement).value })} />
                seconds
              </div>
            ) : null}
            <label class="field">
              End date (optional: nothing is sent after it; the rest is notSent end_date_passed)
              <input type="datetime-local" name="endAt" value={form.endAt} onInput={(e) => set({ endAt: (e.target as HTMLInputElement).value })} />
            </label>
            <label class="check">
              <input type="checkbox" name="resendInDoubt" checked={form.resendInDoubt} onChange={(e) => set({ resendInDoubt: (e.target as HTMLInputElement).checked })} /> At
              least once: when it goes on, send messages in doubt again to every provider (a recipient may get one twice)
            </label>
          </fieldset>
          <ErrorNote error={error} />
          <div class="buttons start">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Saving…' : form.when === 'now' ? 'Save and send now' : form.when === 'at' ? 'Save and schedule' : id ? 'Save draft' : 'Create draft'}
            </button>
          </div>
        </div>
        <Preview channels={channelsOf(form)} />
      </form>
    </section>
  );
}

/** The templates rendered for a contact chosen by id, following the typing. */
function Preview({ channels }: { channels: CampaignInput['channels'] }) {
  const [contactId, setContactId] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [preview, setPreview] = useState<PreviewView | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const settled = useDebounced(JSON.stringify({ contactId, channels }), 300);

  useEffect(() => {
    contacts.list(contactId, undefined, 10).then(
      (r) => setSuggestions(r.items.map((c) => c.id)),
      () => undefined,
    );
  }, [contactId]);
  useEffect(() => {
    const { contactId: id, channels: list } = JSON.parse(settled) as { contactId: string; channels: CampaignInput['channels'] };
    if (!id || list.length === 0 || list.some((c) => c.body === '')) {
      setPreview(undefined);
      setError(undefined);
      return;
    }
    let live = true;
    editor.preview(id, list).then(
      (p) => {
        if (!live) return;
        setPreview(p);
        setError(undefined);
      },
      (err: ApiError) => live && (setError(err), setPreview(undefined)),
    );
    return () => {
      live = false;
    };
  }, [settled]);

  return (
    <aside class="preview panel" aria-label="Preview">
      <h2>Preview</h2>
      <label class="field">
        For contact
        <input name="previewContact" list="preview-contacts" placeholder="a contact id" value={contactId} onInput={(e) => setContactId((e.target as HTMLInputElement).value)} />
        <datalist id="preview-contacts">
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </label>
      {!contactId ? <p class="hint">Choose a contact to see each channel as that contact would get it.</p> : null}
      <ErrorNote error={error} />
      {preview?.channels.map((c) => (
        <div key={c.channel} class="rendered" data-preview={c.channel}>
          <h3>{c.channel}</h3>
          {c.error ? <p class="error">{c.error}</p> : null}
          {c.subject !== undefined ? <p class="subject">{c.subject}</p> : null}
          {c.body !== undefined ? <pre class="body">{c.body}</pre> : null}
          {c.html !== undefined ? <iframe title={`${c.channel} HTML preview`} sandbox="" srcDoc={c.html} class="html" /> : null}
        </div>
      ))}
    </aside>
  );
}
