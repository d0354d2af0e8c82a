<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name></name>
    <message>
        <source>clerk</source>
        <translation>柜员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>the password must have at least {count} characters</source>
        <translation>密码至少需要 {count} 个字符</translation>
    </message>
    <message>
        <source>the password must not be the user name</source>
        <translation>密码不能与用户名相同</translation>
    </message>
    <message>
        <source>unknown user name or wrong password</source>
        <translation>用户名不存在或密码错误</translation>
    </message>
    <message>
        <source>your session has ended ({reason}): log in again</source>
        <translation>您的会话已结束（{reason}）：请重新登录</translation>
    </message>
    <message>
        <source>there is no user named {user}</source>
        <translation>没有名为 {user} 的用户</translation>
    </message>
    <message>
        <source>unknown role {role} ({roles})</source>
        <translation>未知角色 {role}（可选：{roles}）</translation>
    </message>
    <message>
        <source>the user&apos;s role changed to {role}</source>
        <translation>该用户的角色已改为{role}</translation>
    </message>
    <message>
        <source>an administrator already exists; log in instead</source>
        <translation>管理员已存在；请直接登录</translation>
    </message>
    <message>
        <source>you cannot change your own role; another administrator can</source>
        <translation>您不能更改自己的角色；可由另一位管理员更改</translation>
    </message>
    <message>
        <source>{user} was removed; restore the user first</source>
        <translation>{user} 已被删除；请先恢复该用户</translation>
    </message>
    <message>
        <source>{user} already has the role {role}</source>
        <translation>{user} 的角色已经是{role}</translation>
    </message>
    <message>
        <source>you cannot remove yourself; another administrator can</source>
        <translation>您不能删除自己；可由另一位管理员删除</translation>
    </message>
    <message>
        <source>{user} was already removed</source>
        <translation>{user} 已被删除</translation>
    </message>
    <message>
        <source>you cannot restore yourself; another administrator can</source>
        <translation>您不能恢复自己；可由另一位管理员恢复</translation>
    </message>
    <message>
        <source>{user} was not removed</source>
        <translation>{user} 未被删除</translation>
    </message>
    <message>
        <source>{user} is the last active administrator; make another user an administrator first</source>
        <translation>{user} 是最后一位在用的管理员；请先将另一位用户设为管理员</translation>
    </message>
    <message>
        <source>a user name of 1 to 64 characters is needed</source>
        <translation>用户名需为 1 至 64 个字符</translation>
    </message>
    <message>
        <source>the password holds bytes that are not text (set it from a UTF-8 terminal)</source>
        <translation>密码包含不是文本的字节（请在 UTF-8 终端中设置）</translation>
    </message>
    <message>
        <source>a user {user} already exists (user names are the same whatever their case)</source>
        <translation>用户 {user} 已存在（用户名不区分大小写）</translation>
    </message>
    <message>
        <source>user {user} is locked after {attempts} failed logins until {until}; an administrator can unlock it by setting a new password</source>
        <translation>用户 {user} 因 {attempts} 次登录失败被锁定至 {until}；管理员可通过设置新密码解锁</translation>
    </message>
    <message>
        <source>unknown user name or wrong password; the user is now locked for {minutes} minutes</source>
        <translation>用户名不存在或密码错误；该用户现已被锁定 {minutes} 分钟</translation>
    </message>
    <message>
        <source>the idle timeout must be 1 to {most} minutes</source>
        <translation>空闲超时须为 1 至 {most} 分钟</translation>
    </message>
    <message>
        <source>not logged in (or the session has ended): log in again</source>
        <translation>未登录（或会话已结束）：请重新登录</translation>
    </message>
    <message>
        <source>idle for more than {minutes} minutes</source>
        <translation>空闲超过 {minutes} 分钟</translation>
    </message>
    <message>
        <source>the user was removed</source>
        <translation>该用户已被删除</translation>
    </message>
    <message>
        <source>the password was reset</source>
        <translation>密码已被重置</translation>
    </message>
    <message>
        <source>the user is locked out</source>
        <translation>该用户已被锁定</translation>
    </message>
    <message>
        <source>a {role} may not {action}</source>
        <translation>{role}无权执行：{action}</translation>
    </message>
    <message>
        <source>front</source>
        <translation>正面</translation>
    </message>
    <message>
        <source>back</source>
        <translation>背面</translation>
    </message>
    <message>
        <source>{currency} {denomination}, {side}</source>
        <translation>{currency} {denomination}，{side}</translation>
    </message>
    <message>
        <source>a model file named in the manifest is missing</source>
        <translation>清单中列出的模型文件缺失</translation>
    </message>
    <message>
        <source>the file&apos;s SHA-256 does not match its manifest (the file was changed or damaged)</source>
        <translation>该文件的 SHA-256 与清单不符（文件已被修改或损坏）</translation>
    </message>
    <message>
        <source>banknote model folder</source>
        <translation>纸币模型文件夹</translation>
    </message>
    <message>
        <source>find and rectify</source>
        <translation>查找与校正</translation>
    </message>
    <message>
        <source>preprocess</source>
        <translation>预处理</translation>
    </message>
    <message>
        <source>embed</source>
        <translation>嵌入</translation>
    </message>
    <message>
        <source>classify and judge</source>
        <translation>分类与判定</translation>
    </message>
    <message>
        <source>no enrolled side&apos;s printed detail was found in the picture: a denomination that is not enrolled (enroll it) or a picture too poor to read; the reading below is the embedder&apos;s nearest class only</source>
        <translation>图片中未找到任何已登记面的印刷细节：可能是未登记的面额（请登记），或图片质量太差无法读取；下方读数只是嵌入模型给出的最接近类别</translation>
    </message>
    <message>
        <source>no banknote found in the picture: no reference side&apos;s printed detail matches and the note finder sees no note (paper, a cheque or a letter? If only part of a note is in the picture, show the whole note)</source>
        <translation>图片中未找到纸币：没有任何参考面的印刷细节相符，纸币查找器也未看到纸币（是纸张、支票还是信件？如果图片中只有纸币的一部分，请展示整张纸币）</translation>
    </message>
    <message>
        <source>the regions outside the picture</source>
        <translation>图片之外的区域</translation>
    </message>
    <message>
        <source>an enrolled denomination: its printed detail matches the operator&apos;s reference, but the app has no counterfeit model for it and the embedder never learned it, so authenticity is not judged: check the security features by hand</source>
        <translation>登记的面额：其印刷细节与操作员登记的参考纸币相符，但软件没有该面额的伪钞模型，嵌入模型也未学习过它，因此不判断真伪：请人工检查防伪特征</translation>
    </message>
    <message>
        <source>its printed detail matches the {note} only in part ({agree} of {total} regions agree; it differs at {regions}, outlined on the note): a denomination or series that is not enrolled may share that design, or the picture is poor; compare the note with the reference</source>
        <translation>其印刷细节仅部分与 {note} 相符（{total} 个区域中有 {agree} 个一致；不同之处在{regions}，已在纸币上框出）：可能是共用该图案的未登记面额或版本，或图片质量不佳；请将纸币与参考纸币比对</translation>
    </message>
    <message>
        <source>two or more banknotes are in the picture (the {first} and a note that no enrolled side matches): photograph one note at a time</source>
        <translation>图片中有两张或更多纸币（{first} 和一张与任何已登记面都不相符的纸币）：请每次只拍一张纸币</translation>
    </message>
    <message>
        <source>its stored image cannot be decoded; revoke it and enroll it again</source>
        <translation>其存储的图像无法解码；请撤销后重新登记</translation>
    </message>
    <message>
        <source>two or more banknotes are in the picture ({first} and {second}): photograph one note at a time</source>
        <translation>图片中有两张或更多纸币（{first} 和 {second}）：请每次只拍一张纸币</translation>
    </message>
    <message>
        <source>its printed detail matches the {note} but the embedder reads it as {other}</source>
        <translation>其印刷细节与 {note} 相符，但嵌入模型识别为 {other}</translation>
    </message>
    <message>
        <source>only {visible} of the note is in the picture: show the whole note to judge it</source>
        <translation>图片中只有 {visible} 的纸币：请拍摄完整纸币后再判断</translation>
    </message>
    <message>
        <source>the denomination is uncertain ({confidence})</source>
        <translation>面额不确定（{confidence}）</translation>
    </message>
    <message>
        <source>{distance} from the genuine {note} cluster, beyond the threshold {threshold}</source>
        <translation>与真实 {note} 的聚类中心距离 {distance}，超过阈值 {threshold}</translation>
    </message>
    <message>
        <source>the counterfeit model scores it {score} (threshold {threshold})</source>
        <translation>伪钞模型评分 {score}（阈值 {threshold}）</translation>
    </message>
    <message>
        <source>the SVM reads it as {other}</source>
        <translation>SVM 识别为 {other}</translation>
    </message>
    <message>
        <source>both pictures show the {side}; the other side was not checked</source>
        <translation>两张图片都是{side}；另一面未检查</translation>
    </message>
    <message>
        <source>the sides belong to different notes ({first} and {second}): a glued counterfeit</source>
        <translation>两面属于不同的纸币（{first} 和 {second}）：拼接的伪钞</translation>
    </message>
    <message>
        <source>{name}: NOT enrolled: {problem}</source>
        <translation>{name}：未登记：{problem}</translation>
    </message>
    <message>
        <source>{name}: enrolled from 1 picture</source>
        <translation>{name}：已用 1 张图片登记</translation>
    </message>
    <message>
        <source>{name}: enrolled from {n} pictures</source>
        <translation>{name}：已用 {n} 张图片登记</translation>
    </message>
    <message>
        <source>{enrolled}; already enrolled: {pictures}</source>
        <translation>{enrolled}；已登记过：{pictures}</translation>
    </message>
    <message>
        <source>{name}: already enrolled ({pictures}); nothing new</source>
        <translation>{name}：已登记过（{pictures}）；没有新内容</translation>
    </message>
    <message>
        <source>{enrolled}; left out {left_out}</source>
        <translation>{enrolled}；未采用 {left_out}</translation>
    </message>
    <message>
        <source>{name}/: a folder in a side&apos;s folder is not read; put its pictures in {side}/</source>
        <translation>{name}/：不读取面文件夹中的子文件夹；请把其中的图片放到 {side}/</translation>
    </message>
    <message>
        <source>{name}: not a picture ({formats})</source>
        <translation>{name}：不是图片（{formats}）</translation>
    </message>
    <message>
        <source>{pictures}: not in a side&apos;s folder; put the pictures of each side in {front} or {back}</source>
        <translation>{pictures}：不在面文件夹中；请把每一面的图片放到 {front} 或 {back}</translation>
    </message>
    <message>
        <source>{pictures}: not in a side&apos;s folder; put them in a folder such as {where}</source>
        <translation>{pictures}：不在面文件夹中；请把它们放到例如 {where} 这样的文件夹</translation>
    </message>
    <message>
        <source>the camera&apos;s picture was mirrored (left and right swapped); it was read the right way round</source>
        <translation>摄像头的图像是镜像的（左右颠倒）；已按正确方向读取</translation>
    </message>
    <message>
        <source>the banknote model is not loaded yet; wait a moment (or see the message on the banknote tab)</source>
        <translation>纸币模型尚未加载；请稍候（或查看纸币选项卡上的提示）</translation>
    </message>
    <message>
        <source>the reference note {key}</source>
        <translation>参考纸币 {key}</translation>
    </message>
    <message>
        <source>the camera gave no usable picture (expected 8-bit pixels)</source>
        <translation>摄像头未提供可用的图像（应为 8 位像素）</translation>
    </message>
    <message>
        <source>{name}: this check is not one of yours: check the note again</source>
        <translation>{name}：这次检查不是您做的：请重新检查该纸币</translation>
    </message>
    <message>
        <source>the same check was given as both sides: picture the other side</source>
        <translation>两面给出的是同一次检查：请拍摄另一面</translation>
    </message>
    <message>
        <source>a near-duplicate of {other} (the same picture twice?)</source>
        <translation>与 {other} 几乎相同（同一张图片用了两次？）</translation>
    </message>
    <message>
        <source>the series label is too long ({n} characters; at most {most})</source>
        <translation>系列标签过长（{n} 个字符；最多 {most} 个）</translation>
    </message>
    <message>
        <source>a denomination is enrolled from {least} to {most} pictures; {n} were given</source>
        <translation>每种面额需用 {least} 至 {most} 张图片登记；实际提供了 {n} 张</translation>
    </message>
    <message>
        <source>{name}: {problem}; remove it before saving</source>
        <translation>{name}：{problem}；请在保存前移除</translation>
    </message>
    <message>
        <source>{name}: the picture has not been read; add it again</source>
        <translation>{name}：图片尚未读取；请重新添加</translation>
    </message>
    <message>
        <source>{name} is a near-duplicate of {other}; remove one of them</source>
        <translation>{name} 与 {other} 几乎相同；请移除其中一张</translation>
    </message>
    <message>
        <source>{name}: already enrolled: a near-duplicate of reference {ref} ({source}) of {key}</source>
        <translation>{name}：已登记过：与 {key} 的参考 {ref}（{source}）几乎相同</translation>
    </message>
    <message>
        <source>{key} already has {have} references; at most {most} a side: revoke one before adding {n}</source>
        <translation>{key} 已有 {have} 个参考；每面最多 {most} 个：请先撤销一个再添加 {n} 个</translation>
    </message>
    <message>
        <source>{folder}: is not a folder</source>
        <translation>{folder}：不是文件夹</translation>
    </message>
    <message>
        <source>{name}: {problem}</source>
        <translation>{name}：{problem}</translation>
    </message>
    <message>
        <source>no picture could be used: {problems}</source>
        <translation>没有可用的图片：{problems}</translation>
    </message>
    <message>
        <source>{folder}: no &lt;currency&gt;/&lt;denomination&gt;/&lt;side&gt;/ folders in it</source>
        <translation>{folder}：其中没有 &lt;币种&gt;/&lt;面额&gt;/&lt;面&gt;/ 文件夹</translation>
    </message>
    <message>
        <source>{name}: only the first {most} pictures of a side are read</source>
        <translation>{name}：每面只读取前 {most} 张图片</translation>
    </message>
    <message>
        <source>no pictures ({formats}) in the folder</source>
        <translation>文件夹中没有图片（{formats}）</translation>
    </message>
    <message>
        <source>{problem}; left out {left_out}</source>
        <translation>{problem}；未采用 {left_out}</translation>
    </message>
    <message>
        <source>a reason is needed to revoke a reference note</source>
        <translation>撤销参考纸币需要填写理由</translation>
    </message>
    <message>
        <source>banknote reference {ref} does not exist or is already revoked</source>
        <translation>参考纸币 {ref} 不存在或已被撤销</translation>
    </message>
    <message>
        <source>accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>refer</source>
        <translation>转交复核</translation>
    </message>
    <message>
        <source>reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>needs a reason ({n}+ characters) and a supervisor&apos;s approval (their name and password)</source>
        <translation>需填写理由（至少 {n} 个字符）并经主管批准（主管的用户名和密码）</translation>
    </message>
    <message>
        <source>this cheque was already accepted: paying it again needs a reason ({n}+ characters)</source>
        <translation>此支票已被接受过：再次付款需要填写理由（{n} 个字符以上）</translation>
    </message>
    <message>
        <source>goes against the verdict: needs a reason ({n}+ characters)</source>
        <translation>与结论不一致：需填写理由（至少 {n} 个字符）</translation>
    </message>
    <message>
        <source>no reason needed</source>
        <translation>无需理由</translation>
    </message>
    <message>
        <source>{decision} on {when} UTC by {user} for account {account} (decision #{id}, file {cheque})</source>
        <translation>{decision}，{when} UTC，由 {user} 针对账户 {account}（决定 #{id}，文件 {cheque}）</translation>
    </message>
    <message>
        <source>this cheque was accepted while you were deciding, on {when} UTC by {user} for account {account} (decision #{id}); check it again</source>
        <translation>在您作出决定期间，此支票已于 {when} UTC 由 {user} 针对账户 {account} 接受（决定 #{id}）；请重新检查</translation>
    </message>
    <message>
        <source>this cheque was already accepted on {when} UTC by {user} for account {account} (decision #{id}); a reason of at least {n} characters is needed to accept it again</source>
        <translation>此支票已于 {when} UTC 由 {user} 针对账户 {account} 接受（决定 #{id}）；再次接受需要至少 {n} 个字符的理由</translation>
    </message>
    <message>
        <source>accepting a cheque the app called forged needs a supervisor&apos;s approval: their name and password</source>
        <translation>接受系统判定为伪造的支票需要主管批准：请输入其用户名和密码</translation>
    </message>
    <message>
        <source>the approval must come from another person</source>
        <translation>批准必须由另一人作出</translation>
    </message>
    <message>
        <source>{user} is a {role}: only a supervisor or an admin may approve paying a cheque called forged</source>
        <translation>{user} 是{role}：只有主管或管理员可以批准支付被判定为伪造的支票</translation>
    </message>
    <message>
        <source>audit row {row} does not say what this check shows ({fields}): the store or the check was changed after the verification. Nothing was decided; an administrator should verify the audit chain</source>
        <translation>审计记录 {row} 与本次检查显示的结果不符（{fields}）：核验之后存储或检查被修改过。未记录任何决定；请由管理员验证审计链</translation>
    </message>
    <message>
        <source>{folder}: the scan folder does not exist; set it in Settings</source>
        <translation>{folder}：扫描文件夹不存在；请在“设置”中设置</translation>
    </message>
    <message>
        <source>{folder}: no scanned image yet (PNG, JPEG, TIFF, BMP or PDF)</source>
        <translation>{folder}：尚无扫描图像（PNG、JPEG、TIFF、BMP 或 PDF）</translation>
    </message>
    <message>
        <source>stored reference {ref} ({what}) is damaged: {problem}. Nothing was checked. An administrator can verify the audit chain (Audit, Verify chain) to see what changed, and revoke the reference</source>
        <translation>存储的参考 {ref}（{what}）已损坏：{problem}。未进行任何核验。管理员可校验审计哈希链（审计，校验哈希链）查看改动之处，并撤销该参考</translation>
    </message>
    <message>
        <source>its embedding has {n} numbers, not {size}</source>
        <translation>其嵌入向量有 {n} 个数，而不是 {size} 个</translation>
    </message>
    <message>
        <source>its embedding holds numbers that are not finite</source>
        <translation>其嵌入向量包含非有限数值</translation>
    </message>
    <message>
        <source>its stored image is not the one enrolled (its SHA-256 differs)</source>
        <translation>其存储的图像不是登记时的图像（SHA-256 不同）</translation>
    </message>
    <message>
        <source>its stored image cannot be decoded</source>
        <translation>其存储的图像无法解码</translation>
    </message>
    <message>
        <source>{name}: there is no note to turn ({problem})</source>
        <translation>{name}：没有可旋转的纸币（{problem}）</translation>
    </message>
    <message>
        <source>{name}: there is no note to turn</source>
        <translation>{name}：没有可旋转的纸币</translation>
    </message>
    <message>
        <source>{name}: there is no note image to store</source>
        <translation>{name}：没有可保存的纸币图像</translation>
    </message>
    <message>
        <source>{name}: the note image cannot be encoded as PNG</source>
        <translation>{name}：纸币图像无法编码为 PNG</translation>
    </message>
    <message>
        <source>the denomination {denomination} is out of range: at most {digits} digits before the point and {decimals} after</source>
        <translation>面额 {denomination} 超出范围：小数点前最多 {digits} 位，小数点后最多 {decimals} 位</translation>
    </message>
    <message>
        <source>the currency must be 2 to 4 letters (like ARC), not {currency}</source>
        <translation>币种须为 2 至 4 个字母（如 ARC），而不是 {currency}</translation>
    </message>
    <message>
        <source>the denomination must be a number like 20 or 0.50, not {denomination}</source>
        <translation>面额须为数字，如 20 或 0.50，而不是 {denomination}</translation>
    </message>
    <message>
        <source>the denomination must be more than 0</source>
        <translation>面额必须大于 0</translation>
    </message>
    <message>
        <source>the side must be front or back, not {side}</source>
        <translation>面须为 front（正面）或 back（背面），而不是 {side}</translation>
    </message>
    <message>
        <source>banknote reference {ref} ({name}): its stored image cannot be decoded; revoke it and enroll it again</source>
        <translation>参考纸币 {ref}（{name}）：其存储的图像无法解码；请撤销后重新登记</translation>
    </message>
    <message>
        <source>SANE cannot list the scanners ({detail})</source>
        <translation>SANE 无法列出扫描仪（{detail}）</translation>
    </message>
    <message>
        <source>device busy: the scanner is in use by another program or still working; wait a moment and scan again</source>
        <translation>设备忙：扫描仪正被其他程序使用或仍在工作；请稍候再扫描</translation>
    </message>
    <message>
        <source>feeder empty: put the document in the scanner&apos;s feeder (or untick the feeder in Settings to scan from the glass)</source>
        <translation>进纸器为空：请将文件放入扫描仪的进纸器（或在“设置”中取消勾选进纸器，改用玻璃板扫描）</translation>
    </message>
    <message>
        <source>paper jam in the feeder: clear it and scan again</source>
        <translation>进纸器卡纸：请清除后重新扫描</translation>
    </message>
    <message>
        <source>the scanner&apos;s cover is open: close it and scan again</source>
        <translation>扫描仪盖板未关闭：请关闭后重新扫描</translation>
    </message>
    <message>
        <source>the scanner stopped answering (I/O error): check its cable and power, then scan again</source>
        <translation>扫描仪无响应（输入/输出错误）：请检查线缆和电源，然后重新扫描</translation>
    </message>
    <message>
        <source>access denied: this user may not use the scanner (on Linux: add the user to the &apos;scanner&apos; group)</source>
        <translation>访问被拒绝：此用户无权使用扫描仪（Linux 上：请将该用户加入 “scanner” 组）</translation>
    </message>
    <message>
        <source>the scanner&apos;s driver ran out of memory</source>
        <translation>扫描仪驱动程序内存不足</translation>
    </message>
    <message>
        <source>the scan was cancelled at the scanner</source>
        <translation>扫描已在扫描仪上被取消</translation>
    </message>
    <message>
        <source>option not supported by this scanner</source>
        <translation>此扫描仪不支持该选项</translation>
    </message>
    <message>
        <source>Scanning from a scanner needs SANE: install the [scanner] extra (python-sane) and SANE (Debian: apt install libsane1 sane-utils; {detail})</source>
        <translation>使用扫描仪扫描需要 SANE：请安装 [scanner] 扩展（python-sane）和 SANE（Debian：apt install libsane1 sane-utils；{detail}）</translation>
    </message>
    <message>
        <source>{scanner}: device busy: another scan or scanner search is still running in this app; try again when it has finished</source>
        <translation>{scanner}：设备忙：本程序中另一次扫描或扫描仪查找仍在进行；请在其完成后重试</translation>
    </message>
    <message>
        <source>SANE cannot start ({detail}): check the SANE installation (scanimage -L lists the scanners it sees)</source>
        <translation>SANE 无法启动（{detail}）：请检查 SANE 的安装（scanimage -L 会列出它识别到的扫描仪）</translation>
    </message>
    <message>
        <source>scanner {name}</source>
        <translation>扫描仪 {name}</translation>
    </message>
    <message>
        <source>the first scanner SANE finds</source>
        <translation>SANE 找到的第一台扫描仪</translation>
    </message>
    <message>
        <source>{scanner}, {dpi} dpi, {mode}, {source}</source>
        <translation>{scanner}，{dpi} dpi，{mode}，{source}</translation>
    </message>
    <message>
        <source>colour</source>
        <translation>彩色</translation>
    </message>
    <message>
        <source>grey</source>
        <translation>灰度</translation>
    </message>
    <message>
        <source>document feeder</source>
        <translation>自动进纸器</translation>
    </message>
    <message>
        <source>flatbed</source>
        <translation>平板</translation>
    </message>
    <message>
        <source>{dpi} dpi is not offered: scan at {offered} dpi</source>
        <translation>不支持 {dpi} dpi：请以 {offered} dpi 扫描</translation>
    </message>
    <message>
        <source>no scanner found: SANE sees none; check that the scanner is connected and switched on (scanimage -L lists what SANE sees)</source>
        <translation>未找到扫描仪：SANE 未识别到任何扫描仪；请检查扫描仪是否已连接并开机（scanimage -L 会列出 SANE 识别到的设备）</translation>
    </message>
    <message>
        <source>{scanner}: no scanner found by that name: it is not connected, switched off or named differently (Settings, Find scanners lists the ones this PC sees)</source>
        <translation>{scanner}：未找到该名称的扫描仪：它未连接、已关机或名称不同（“设置”中的“查找扫描仪”会列出本机识别到的扫描仪）</translation>
    </message>
    <message>
        <source>it refused {setting}</source>
        <translation>它拒绝了 {setting}</translation>
    </message>
    <message>
        <source>{scanner}: SANE error while {doing}: {detail}</source>
        <translation>{scanner}：SANE 在 {doing} 时出错：{detail}</translation>
    </message>
    <message>
        <source>{scanner}: {problem}</source>
        <translation>{scanner}：{problem}</translation>
    </message>
    <message>
        <source>{scanner}: option not supported by this scanner: {what}; change the scanner settings in Settings</source>
        <translation>{scanner}：此扫描仪不支持该选项：{what}；请在“设置”中更改扫描仪设置</translation>
    </message>
    <message>
        <source>cannot set {setting} ({detail})</source>
        <translation>无法设置 {setting}（{detail}）</translation>
    </message>
    <message>
        <source>it has no document feeder (its sources: {sources}); untick the feeder to scan from the glass</source>
        <translation>它没有自动进纸器（其来源：{sources}）；请取消勾选进纸器，改用玻璃板扫描</translation>
    </message>
    <message>
        <source>it has no document feeder; untick the feeder to scan from the glass</source>
        <translation>它没有自动进纸器；请取消勾选进纸器，改用玻璃板扫描</translation>
    </message>
    <message>
        <source>it has no flatbed (its sources: {sources}); tick the feeder in Settings</source>
        <translation>它没有平板（其来源：{sources}）；请在“设置”中勾选进纸器</translation>
    </message>
    <message>
        <source>it has no colour mode (its modes: {modes})</source>
        <translation>它没有彩色模式（其模式：{modes}）</translation>
    </message>
    <message>
        <source>it has no grey mode (its modes: {modes})</source>
        <translation>它没有灰度模式（其模式：{modes}）</translation>
    </message>
    <message>
        <source>it has no resolution setting</source>
        <translation>它没有分辨率设置</translation>
    </message>
    <message>
        <source>it does not offer {dpi} dpi (it offers {offered})</source>
        <translation>它不支持 {dpi} dpi（支持：{offered}）</translation>
    </message>
    <message>
        <source>it set {got} dpi when asked for {dpi} dpi</source>
        <translation>要求 {dpi} dpi，它却设置为 {got} dpi</translation>
    </message>
    <message>
        <source>the scanner announced a page of {size} pixels in grey, more than a scanned document can be: scan at a lower resolution</source>
        <translation>扫描仪报告的灰度页面为 {size} 像素，超出扫描文件的上限：请以较低分辨率扫描</translation>
    </message>
    <message>
        <source>the scanner announced a page of {size} pixels in colour, more than a scanned document can be: scan at a lower resolution or in grey</source>
        <translation>扫描仪报告的彩色页面为 {size} 像素，超出扫描文件的上限：请以较低分辨率或灰度扫描</translation>
    </message>
    <message>
        <source>the scanner sent no picture ({detail})</source>
        <translation>扫描仪未发送图像（{detail}）</translation>
    </message>
    <message>
        <source>the scanner sent an empty page</source>
        <translation>扫描仪发送了空白页面</translation>
    </message>
    <message>
        <source>the scanner sent a page {width} pixels wide and more than {lines} lines long, more than a scanned document can be: scan at a lower resolution</source>
        <translation>扫描仪发送的页面宽 {width} 像素、长度超过 {lines} 行，超出扫描文件的上限：请以较低分辨率扫描</translation>
    </message>
    <message>
        <source>{scanner}: the scanner stopped answering: nothing came for {seconds} s while page {page} was read; check the scanner (paper, cable, power) and scan again</source>
        <translation>{scanner}：扫描仪无响应：读取第 {page} 页时 {seconds} 秒内未收到任何数据；请检查扫描仪（纸张、线缆、电源）后重新扫描</translation>
    </message>
    <message>
        <source>No scan folder is set: an admin sets it in Settings.</source>
        <translation>未设置扫描文件夹：请管理员在“设置”中设置。</translation>
    </message>
    <message>
        <source>a signature of account {account}</source>
        <translation>账户 {account} 的一个签名</translation>
    </message>
    <message>
        <source>account {account} already exists (typed as {typed})</source>
        <translation>账户 {account} 已存在（输入为 {typed}）</translation>
    </message>
    <message>
        <source>account {account} already exists, stored as {stored} (typed as {typed})</source>
        <translation>账户 {account} 已存在，存储为 {stored}（输入为 {typed}）</translation>
    </message>
    <message>
        <source>the signature model is not loaded yet; wait a moment</source>
        <translation>签名模型尚未加载；请稍候</translation>
    </message>
    <message>
        <source>an account number and the holder&apos;s name are needed</source>
        <translation>需要账号和账户持有人姓名</translation>
    </message>
    <message>
        <source>search text too long (max {most} characters)</source>
        <translation>搜索文字过长（最多 {most} 个字符）</translation>
    </message>
    <message>
        <source>{account} matches several accounts stored differently ({numbers}): search for it and choose one</source>
        <translation>{account} 与多个以不同形式存储的账户匹配（{numbers}）：请搜索并选择其中一个</translation>
    </message>
    <message>
        <source>there is no account {account}</source>
        <translation>不存在账户 {account}</translation>
    </message>
    <message>
        <source>remove the rejected or unchecked signatures before saving</source>
        <translation>请在保存前移除被拒绝或未检查的签名</translation>
    </message>
    <message>
        <source>an account needs {least} to {most} references; this would give {total} ({current} enrolled + {new} new)</source>
        <translation>每个账户需要 {least} 至 {most} 个参考签名；这样将有 {total} 个（已登记 {current} 个 + 新增 {new} 个）</translation>
    </message>
    <message>
        <source>a reason is needed to revoke a reference</source>
        <translation>撤销参考签名需要填写理由</translation>
    </message>
    <message>
        <source>reference {ref} is not an active reference of {account}</source>
        <translation>参考签名 {ref} 不是账户 {account} 的有效参考签名</translation>
    </message>
    <message>
        <source>the replacement must pass the quality checks first</source>
        <translation>替换的签名必须先通过质量检查</translation>
    </message>
    <message>
        <source>account {account} has no enrolled reference signatures</source>
        <translation>账户 {account} 没有已登记的参考签名</translation>
    </message>
    <message>
        <source>unknown decision {decision}</source>
        <translation>未知的决定 {decision}</translation>
    </message>
    <message>
        <source>this verification is not one of yours: check the cheque again</source>
        <translation>这次核验不是您做的：请重新检查该支票</translation>
    </message>
    <message>
        <source>the verdict was {verdict}: a reason of at least {n} characters is needed to {decision} against it</source>
        <translation>判定结果为“{verdict}”：要作出相反的“{decision}”决定，需填写至少 {n} 个字符的理由</translation>
    </message>
    <message>
        <source>{path}: the audit log cannot be written there ({reason})</source>
        <translation>{path}：无法在此处写入审计日志（{reason}）</translation>
    </message>
    <message>
        <source>the model does not support the {method} method</source>
        <translation>该模型不支持 {method} 方法</translation>
    </message>
    <message>
        <source>security level {level} is not calibrated for this model (target FARs offered: {levels})</source>
        <translation>该模型未对安全级别 {level} 进行校准（可选的目标误接受率：{levels}）</translation>
    </message>
    <message>
        <source>file not found</source>
        <translation>找不到文件</translation>
    </message>
    <message>
        <source>the file is empty (0 bytes)</source>
        <translation>文件为空（0 字节）</translation>
    </message>
    <message>
        <source>is a folder, not an image file</source>
        <translation>是文件夹，不是图像文件</translation>
    </message>
    <message>
        <source>is a pipe (FIFO), not an image file</source>
        <translation>是管道（FIFO），不是图像文件</translation>
    </message>
    <message>
        <source>is a device, not an image file</source>
        <translation>是设备，不是图像文件</translation>
    </message>
    <message>
        <source>is a socket, not an image file</source>
        <translation>是套接字，不是图像文件</translation>
    </message>
    <message>
        <source>has {pages} page(s); page {page} was asked for</source>
        <translation>共 {pages} 页；请求的是第 {page} 页</translation>
    </message>
    <message>
        <source>page {page} has no pixels</source>
        <translation>第 {page} 页没有像素</translation>
    </message>
    <message>
        <source>is not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <source>the file is too large ({size} MB; limit {limit} MB): scan at 300 dpi, in grey, or save it compressed (JPEG, or TIFF with LZW or G4)</source>
        <translation>文件过大（{size} MB；上限 {limit} MB）：请以 300 dpi、灰度扫描，或保存为压缩格式（JPEG，或 LZW、G4 压缩的 TIFF）</translation>
    </message>
    <message>
        <source>cannot be read ({detail})</source>
        <translation>无法读取（{detail}）</translation>
    </message>
    <message>
        <source>cannot be read (it would block: not a regular file)</source>
        <translation>无法读取（会阻塞：不是普通文件）</translation>
    </message>
    <message>
        <source>has too many pixels to be a scanned document</source>
        <translation>像素过多，不像扫描的文件</translation>
    </message>
    <message>
        <source>cannot be decoded: it needs more memory than a scanned document would</source>
        <translation>无法解码：所需内存超出扫描文件应有的大小</translation>
    </message>
    <message>
        <source>cannot be decoded: it carries an oversized text (metadata) chunk ({detail}); save the image again without metadata</source>
        <translation>无法解码：其中含有过大的文本（元数据）块（{detail}）；请不带元数据重新保存图像</translation>
    </message>
    <message>
        <source>looks like a {kind} file but is damaged or truncated and cannot be decoded</source>
        <translation>看似 {kind} 文件，但已损坏或不完整，无法解码</translation>
    </message>
    <message>
        <source>is not an image in a supported format ({formats})</source>
        <translation>不是受支持格式的图像（{formats}）</translation>
    </message>
    <message>
        <source>the file is damaged or truncated and cannot be decoded ({detail})</source>
        <translation>文件已损坏或不完整，无法解码（{detail}）</translation>
    </message>
    <message>
        <source>cannot be decoded ({detail})</source>
        <translation>无法解码（{detail}）</translation>
    </message>
    <message>
        <source>the PDF is password-protected: scan or save it again without a password</source>
        <translation>该 PDF 受密码保护：请重新扫描或另存为无密码的文件</translation>
    </message>
    <message>
        <source>looks like a PDF file but is damaged and cannot be opened ({detail})</source>
        <translation>看似 PDF 文件，但已损坏，无法打开（{detail}）</translation>
    </message>
    <message>
        <source>the PDF page cannot be rendered ({detail})</source>
        <translation>无法渲染该 PDF 页面（{detail}）</translation>
    </message>
    <message>
        <source>the PDF has no pages</source>
        <translation>该 PDF 没有页面</translation>
    </message>
    <message>
        <source>page {page} has no area</source>
        <translation>第 {page} 页没有面积</translation>
    </message>
    <message>
        <source>page {page} is {width} x {height} inches: {pixels} million pixels at {dpi} dpi, over the limit of {limit} million pixels</source>
        <translation>第 {page} 页为 {width} x {height} 英寸：在 {dpi} dpi 下为 {pixels} 百万像素，超过 {limit} 百万像素的上限</translation>
    </message>
    <message>
        <source>format {format} is not supported (use {formats})</source>
        <translation>不支持 {format} 格式（请使用 {formats}）</translation>
    </message>
    <message>
        <source>the page has no pixels</source>
        <translation>该页没有像素</translation>
    </message>
    <message>
        <source>float TIFF: it holds NaN or infinite values, which a scanner does not write; save it as 8-bit</source>
        <translation>浮点 TIFF：其中含有 NaN 或无穷大值，扫描仪不会写出这样的值；请保存为 8 位图像</translation>
    </message>
    <message>
        <source>a black-and-white scan in halftone (dithered) mode: its grey areas are dot patterns among which strokes cannot be told from the background; scan in greyscale (or black and white without halftone)</source>
        <translation>半色调（抖动）模式的黑白扫描件：其灰色区域是点状图案，笔画无法与背景区分；请以灰度（或不带半色调的黑白）扫描</translation>
    </message>
    <message>
        <source>there is no page {page}: pages start at 1</source>
        <translation>没有第 {page} 页：页码从 1 开始</translation>
    </message>
    <message>
        <source>page {page} is {size} pixels, over the limit of {limit} million pixels</source>
        <translation>第 {page} 页为 {size} 像素，超过 {limit} 百万像素的上限</translation>
    </message>
    <message>
        <source>the PNG image is too large to decode ({size} pixels, {mb} MB of pixel data; limit {limit} MB): scan at 300 dpi, in grey, or save it as JPEG</source>
        <translation>PNG 图像过大，无法解码（{size} 像素，像素数据 {mb} MB；上限 {limit} MB）：请以 300 dpi、灰度扫描，或保存为 JPEG</translation>
    </message>
    <message>
        <source>no signature was found on the card</source>
        <translation>签名卡上未找到签名</translation>
    </message>
    <message>
        <source>the image is too small to be a signature card ({size} pixels)</source>
        <translation>图像太小，不像签名卡（{size} 像素）</translation>
    </message>
    <message>
        <source>this does not look like a cheque: the image is {size} pixels, smaller than a cheque scanned at 150 dpi or more ({least}); a signature already cut out is checked in the comparison window instead</source>
        <translation>这看起来不是支票：图像为 {size} 像素，小于以 150 dpi 或更高分辨率扫描的支票（{least}）；已裁出的签名请在比对窗口中核验</translation>
    </message>
    <message>
        <source>this cheque seems turned 90 degrees: the image is {size} pixels, taller than wide; rotate the scan, or scan the cheque lying down, and check it again</source>
        <translation>此支票似乎旋转了 90 度：图像为 {size} 像素，高大于宽；请旋转扫描件，或将支票横放重新扫描后再检查</translation>
    </message>
    <message>
        <source>this does not look like a cheque: the image is {size} pixels, {aspect} times as wide as tall, where a scan cropped to the cheque is {low} to {high} times (is the scan cropped to the cheque?)</source>
        <translation>这看起来不像支票：图像为 {size} 像素，宽是高的 {aspect} 倍，而裁剪到支票的扫描件应为 {low} 到 {high} 倍（扫描件是否已裁剪到支票？）</translation>
    </message>
    <message>
        <source>this does not look like a cheque: the image is {size} pixels, {aspect} times as wide as tall, where a scan cropped to the cheque is {low} to {high} times</source>
        <translation>这看起来不是支票：图像为 {size} 像素，宽是高的 {aspect} 倍，而裁切到支票边缘的扫描件应为 {low} 到 {high} 倍</translation>
    </message>
    <message>
        <source>the cheque image is entirely black/dark: no paper visible</source>
        <translation>支票图像全黑或过暗：看不到纸张</translation>
    </message>
    <message>
        <source>the cheque is blank: no print or ink was found</source>
        <translation>支票是空白的：未发现印刷内容或笔迹</translation>
    </message>
    <message>
        <source>this does not look like a cheque: {share} of the signature zone ({zone}) is dark, as in a photo or a block of print, not a signature on paper</source>
        <translation>这看起来不是支票：签名区域（{zone}）有 {share} 是深色的，像照片或大块印刷，而不是纸上的签名</translation>
    </message>
    <message>
        <source>no signature found in the signature zone ({zone}); draw the zone around the signature on the cheque, or check the scan</source>
        <translation>签名区域（{zone}）中未找到签名；请在支票上框出签名区域，或检查扫描件</translation>
    </message>
    <message>
        <source>no signature found in the signature zone ({zone}): the marks there cover {share} of their box, as a picture or a stamp does, where handwriting covers a fifth or less</source>
        <translation>签名区域（{zone}）中未找到签名：其中的笔画覆盖了所在框的 {share}，像图片或印章，而手写签名通常不超过五分之一</translation>
    </message>
    <message>
        <source>the cheque seems to be upside down: its signature zone reads as forged, but the page turned over does not ({verdict}, similarity {similarity}). Scan it the right way up and check it again</source>
        <translation>支票似乎上下颠倒：其签名区域被判为伪造，但将页面倒转后并非如此（{verdict}，相似度 {similarity}）。请正向扫描后再检查</translation>
    </message>
    <message>
        <source>too small: {size} pixels of ink (the longer side needs {long}, the shorter {short}; scan at 200-300 dpi)</source>
        <translation>太小：墨迹为 {size} 像素（长边需 {long}，短边需 {short}；请以 200–300 dpi 扫描）</translation>
    </message>
    <message>
        <source>not a signature on paper: only {share} of the scan is clear of ink (a signature leaves at least {least}); scan the signature itself</source>
        <translation>不是纸上的签名：扫描件中只有 {share} 没有墨迹（签名至少留出 {least}）；请扫描签名本身</translation>
    </message>
    <message>
        <source>too noisy: paper noise {noise} grey levels (clean scans are under {limit}); rescan if you can</source>
        <translation>噪点过多：纸面噪点为 {noise} 个灰度级（干净的扫描低于 {limit}）；如可能请重新扫描</translation>
    </message>
    <message>
        <source>near-duplicate of the enrolled reference {name}</source>
        <translation>与已登记的参考签名 {name} 几乎相同</translation>
    </message>
    <message>
        <source>near-duplicate of {name} (the same signature scanned twice adds no information about the writer&apos;s variation)</source>
        <translation>与 {name} 几乎相同（同一签名扫描两次，无法反映书写者签名的变化）</translation>
    </message>
    <message>
        <source>inconsistent with the other references (similarity {similarity} to them); check it is the holder&apos;s signature</source>
        <translation>与其他参考签名不一致（相似度 {similarity}）；请确认是账户持有人的签名</translation>
    </message>
    <message>
        <source>no signature found: the image is blank (no visible ink)</source>
        <translation>未找到签名：图像为空白（没有可见墨迹）</translation>
    </message>
    <message>
        <source>no signature found: the image is entirely black/dark: no paper visible (brightest grey level {level} of 255; a scan with the lid open or the lamp off, or an inverted image?)</source>
        <translation>未找到签名：图像全黑/全暗，看不到纸张（最亮灰度级为 {level}/255；扫描时盖板未合上或灯未亮，或是反色图像？）</translation>
    </message>
    <message>
        <source>no signature found: too little ink (blank or only specks)</source>
        <translation>未找到签名：墨迹太少（空白或只有斑点）</translation>
    </message>
    <message>
        <source>more than half of the image is dark: not dark ink on light paper (inverted, a photo, or badly exposed)</source>
        <translation>图像一半以上是暗的：不是浅色纸上的深色墨迹（反色、照片或曝光不当）</translation>
    </message>
    <message>
        <source>the image is too small ({size} pixels; at least {least} pixels on each side are needed)</source>
        <translation>图像太小（{size} 像素；每边至少需要 {least} 像素）</translation>
    </message>
    <message>
        <source>the signature is too small ({size} pixels of ink)</source>
        <translation>签名太小（墨迹为 {size} 像素）</translation>
    </message>
    <message>
        <source>genuine</source>
        <translation>真实</translation>
    </message>
    <message>
        <source>needs review</source>
        <translation>需复核</translation>
    </message>
    <message>
        <source>forged</source>
        <translation>伪造</translation>
    </message>
    <message>
        <source>at least one reference signature is needed</source>
        <translation>至少需要一个参考签名</translation>
    </message>
    <message>
        <source>the picture is too small ({size} pixels; at least {least} pixels on each side are needed to find a banknote)</source>
        <translation>图片太小（{size} 像素；查找纸币需要每边至少 {least} 像素）</translation>
    </message>
    <message>
        <source>the picture is black: there is no banknote in it</source>
        <translation>图片全黑：其中没有纸币</translation>
    </message>
    <message>
        <source>the picture is blank (one flat tone): there is no banknote in it</source>
        <translation>图片为空白（单一色调）：其中没有纸币</translation>
    </message>
    <message>
        <source>no banknote found in the picture: nothing large stands out from the background (lay the note flat on a plain surface of another colour)</source>
        <translation>图片中未找到纸币：没有明显区别于背景的大物体（请将纸币平放在颜色不同的纯色表面上）</translation>
    </message>
    <message>
        <source>{n} banknotes are in the picture: photograph one note at a time</source>
        <translation>图片中有 {n} 张纸币：请每次只拍一张纸币</translation>
    </message>
    <message>
        <source>no banknote found in the picture: the largest object is not shaped like a banknote (width/height {aspect}, covering {share})</source>
        <translation>图片中未找到纸币：最大的物体形状不像纸币（宽高比 {aspect}，占画面 {share}）</translation>
    </message>
    <message>
        <source>the note image is too small ({size} pixels; at least {least} on each side are needed)</source>
        <translation>纸币图像太小（{size} 像素；每边至少需要 {least} 像素）</translation>
    </message>
    <message>
        <source>signed by the public DEMO key, which anyone can sign with: it is accepted only on the models shipped in {shipped}; sign this folder with your institution&apos;s key (`python -m training sign`)</source>
        <translation>由任何人都可使用的公开 DEMO 密钥签名：该密钥仅对随软件提供于 {shipped} 的模型有效；请用贵机构的密钥为此文件夹签名（`python -m training sign`）</translation>
    </message>
    <message>
        <source>keys in the app&apos;s data folder are no longer trusted, since any program running as this user can add one there: the PC&apos;s administrator moves them to {folder}</source>
        <translation>应用数据文件夹中的密钥不再受信任，因为以此用户身份运行的任何程序都能在那里添加密钥：请由本机管理员将其移至 {folder}</translation>
    </message>
    <message>
        <source>{label} cannot be a key label (letters, digits, - and _)</source>
        <translation>{label} 不能用作密钥标签（只能用字母、数字、- 和 _）</translation>
    </message>
    <message>
        <source>the key cannot be added: {detail}</source>
        <translation>无法添加该密钥：{detail}</translation>
    </message>
    <message>
        <source>key {key} is trusted already (as {label})</source>
        <translation>密钥 {key} 已受信任（标签为 {label}）</translation>
    </message>
    <message>
        <source>{file} exists already: choose another label</source>
        <translation>{file} 已存在：请换一个标签</translation>
    </message>
    <message>
        <source>{file} cannot be written ({detail}): run this as the PC&apos;s administrator</source>
        <translation>无法写入 {file}（{detail}）：请以本机管理员身份运行</translation>
    </message>
    <message>
        <source>no {file} in the {what}</source>
        <translation>{what}中没有 {file}</translation>
    </message>
    <message>
        <source>the manifest lacks {fields}</source>
        <translation>清单缺少 {fields}</translation>
    </message>
    <message>
        <source>the manifest cannot be read ({detail})</source>
        <translation>无法读取清单（{detail}）</translation>
    </message>
    <message>
        <source>the manifest is not a JSON object</source>
        <translation>清单不是 JSON 对象</translation>
    </message>
    <message>
        <source>the file cannot be read ({error})</source>
        <translation>无法读取该文件（{error}）</translation>
    </message>
    <message>
        <source>the manifest has no files list (field &apos;files&apos;): sign the folder again with `python -m training sign`</source>
        <translation>清单中没有文件列表（字段 &apos;files&apos;）：请用 `python -m training sign` 重新签名该文件夹</translation>
    </message>
    <message>
        <source>the files list has an unusable entry {entry}</source>
        <translation>文件列表中有无法使用的条目 {entry}</translation>
    </message>
    <message>
        <source>the file is missing (the manifest&apos;s files list names it)</source>
        <translation>文件缺失（清单的文件列表中列有它）</translation>
    </message>
    <message>
        <source>SHA-256 differs from the manifest&apos;s files list (the file was changed or replaced after signing)</source>
        <translation>SHA-256 与清单的文件列表不符（该文件在签名后被修改或替换）</translation>
    </message>
    <message>
        <source>the file is not in the manifest&apos;s signed files list (remove it, or sign the folder again)</source>
        <translation>该文件不在清单已签名的文件列表中（请删除它，或重新签名该文件夹）</translation>
    </message>
    <message>
        <source>the model is not signed (manifest.sig is missing): sign it with `python -m training sign --model FOLDER --key KEY`</source>
        <translation>模型未签名（缺少 manifest.sig）：请用 `python -m training sign --model FOLDER --key KEY` 签名</translation>
    </message>
    <message>
        <source>the signature file cannot be read ({detail})</source>
        <translation>无法读取签名文件（{detail}）</translation>
    </message>
    <message>
        <source>key_id {key}: its public key is in {folder}, but keys there are not trusted: {reason}</source>
        <translation>key_id {key}：其公钥位于 {folder}，但该处的密钥不受信任：{reason}</translation>
    </message>
    <message>
        <source>key_id {key}: signed by a key this app does not trust (the PC&apos;s administrator adds its public key to {folder}: `sigdesk-keys add FILE`)</source>
        <translation>key_id {key}：由本应用不信任的密钥签名（本机管理员可将其公钥添加到 {folder}：`sigdesk-keys add FILE`）</translation>
    </message>
    <message>
        <source>signature does not match (the manifest was changed after signing by key {key})</source>
        <translation>签名不符（清单在由密钥 {key} 签名后被修改）</translation>
    </message>
    <message>
        <source>model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>SHA-256 differs from the signed manifest&apos;s (the file was changed after the model folder was verified)</source>
        <translation>SHA-256 与已签名清单中的不符（模型文件夹验证后该文件被修改）</translation>
    </message>
    <message>
        <source>onnxruntime cannot load the model ({detail})</source>
        <translation>onnxruntime 无法加载该模型（{detail}）</translation>
    </message>
    <message>
        <source>row {row} is missing (deleted)</source>
        <translation>第 {row} 行缺失（已被删除）</translation>
    </message>
    <message>
        <source>row {row} cannot be read (its stored details are not valid JSON): it was changed after it was written</source>
        <translation>第 {row} 行无法读取（其存储的详情不是有效的 JSON）：写入后被修改</translation>
    </message>
    <message>
        <source>row {row} does not link to the row before it</source>
        <translation>第 {row} 行与上一行的链接不符</translation>
    </message>
    <message>
        <source>row {row} was changed after it was written</source>
        <translation>第 {row} 行在写入后被修改</translation>
    </message>
    <message>
        <source>the log ends at row {end} but row {last} was the last one written (rows deleted at the end)</source>
        <translation>日志止于第 {end} 行，但最后写入的是第 {last} 行（末尾的行被删除）</translation>
    </message>
    <message>
        <source>the head counts {head} rows but the log has {count} (rows deleted at the end and the head rewritten)</source>
        <translation>链头记录为 {head} 行，但日志只有 {count} 行（末尾的行被删除且链头被改写）</translation>
    </message>
    <message>
        <source>the head row was edited (its hash does not match its last id, row count and last hash)</source>
        <translation>链头行被修改（其哈希与最后编号、行数和最后哈希不符）</translation>
    </message>
    <message>
        <source>{row} was never recorded by an audit row (written outside the app, or by a change without its audit row)</source>
        <translation>{row} 从未被任何审计行记录（在本软件之外写入，或修改时未留审计行）</translation>
    </message>
    <message>
        <source>{row} was changed after audit row {audit} recorded it</source>
        <translation>{row} 在审计行 {audit} 记录之后被修改</translation>
    </message>
    <message>
        <source>{row} is missing (deleted after audit row {audit} recorded it)</source>
        <translation>{row} 缺失（在审计行 {audit} 记录之后被删除）</translation>
    </message>
    <message>
        <source>{problem} (and {n} more problems)</source>
        <translation>{problem}（另有 {n} 个问题）</translation>
    </message>
    <message>
        <source>{store}: the audit head row is missing</source>
        <translation>{store}：审计链头行缺失</translation>
    </message>
    <message>
        <source>a reason is needed to revoke banknote reference {ref}</source>
        <translation>撤销参考纸币 {ref} 需要填写理由</translation>
    </message>
    <message>
        <source>{store}: cannot be opened as a reference store ({detail})</source>
        <translation>{store}：无法作为参考库打开（{detail}）</translation>
    </message>
    <message>
        <source>{store}: the connection to the database failed ({detail})</source>
        <translation>{store}：与数据库的连接失败（{detail}）</translation>
    </message>
    <message>
        <source>{store}: the server stopped this change because it conflicted with another PC&apos;s ({detail}); try again</source>
        <translation>{store}：服务器中止了此次修改，因为它与另一台电脑的修改冲突（{detail}）；请重试</translation>
    </message>
    <message>
        <source>{store}: the connection to the database failed during the transaction; nothing of it was kept</source>
        <translation>{store}：事务进行中与数据库的连接失败；其中的修改均未保存</translation>
    </message>
    <message>
        <source>account {account} already exists</source>
        <translation>账户 {account} 已存在</translation>
    </message>
    <message>
        <source>reference {ref} does not exist or is already revoked</source>
        <translation>参考签名 {ref} 不存在或已被撤销</translation>
    </message>
    <message>
        <source>verification {verification} or account {account} does not exist; no decision was recorded</source>
        <translation>核验 {verification} 或账户 {account} 不存在；未记录决定</translation>
    </message>
    <message>
        <source>a decision was already recorded for this verification</source>
        <translation>此次核验已记录过决定</translation>
    </message>
    <message>
        <source>a user named {user} already exists</source>
        <translation>名为 {user} 的用户已存在</translation>
    </message>
    <message>
        <source>{store}: the store has schema version {version}, written by a newer version of the app (this one knows up to {known}); nothing was changed</source>
        <translation>{store}：该库的结构版本为 {version}，由更新版本的软件写入（本软件最高支持 {known}）；未作任何修改</translation>
    </message>
    <message>
        <source>no store at {store} (the database has no SigDesk tables); check the location, or create the store with --create (the app&apos;s first start makes it)</source>
        <translation>{store} 处没有数据库（其中没有 SigDesk 的表）；请检查位置，或用 --create 创建（软件首次启动时会自动创建）</translation>
    </message>
    <message>
        <source>top left</source>
        <translation>左上</translation>
    </message>
    <message>
        <source>top centre-left</source>
        <translation>上方中偏左</translation>
    </message>
    <message>
        <source>top centre-right</source>
        <translation>上方中偏右</translation>
    </message>
    <message>
        <source>top right</source>
        <translation>右上</translation>
    </message>
    <message>
        <source>bottom left</source>
        <translation>左下</translation>
    </message>
    <message>
        <source>bottom centre-left</source>
        <translation>下方中偏左</translation>
    </message>
    <message>
        <source>bottom centre-right</source>
        <translation>下方中偏右</translation>
    </message>
    <message>
        <source>{first}, {rest}</source>
        <translation>{first}、{rest}</translation>
    </message>
    <message>
        <source>bottom right</source>
        <translation>右下</translation>
    </message>
    <message>
        <source>{folder} cannot be checked ({detail})</source>
        <translation>无法检查 {folder}（{detail}）</translation>
    </message>
    <message>
        <source>{path} belongs to user id {uid}, not to an administrator</source>
        <translation>{path} 属于用户 ID {uid}，而不是管理员</translation>
    </message>
    <message>
        <source>other accounts can change {path} (mode {mode})</source>
        <translation>其他账户可以修改 {path}（权限 {mode}）</translation>
    </message>
    <message>
        <source>{path} is not a plain file (a link?)</source>
        <translation>{path} 不是普通文件（是链接吗？）</translation>
    </message>
    <message>
        <source>this account can change {path}</source>
        <translation>当前账户可以修改 {path}</translation>
    </message>
    <message>
        <source>this account can add files to {path}</source>
        <translation>当前账户可以向 {path} 添加文件</translation>
    </message>
    <message>
        <source>this account can change the permissions of {path}</source>
        <translation>当前账户可以修改 {path} 的权限</translation>
    </message>
    <message>
        <source>The settings in {file} differ from those an administrator set on this PC ({names}; audit rows {rows}): the administrator&apos;s are used (method {method}, security level {far}), and the difference is in the audit log.</source>
        <translation>{file} 中的设置与管理员在本机设置的不同（{names}；审计记录 {rows}）：已采用管理员的设置（方法 {method}，安全级别 {far}），差异已记入审计日志。</translation>
    </message>
    <message>
        <source>a {role} may not choose the decision settings (method, security level, zone): those an administrator set on this PC are used; leave the options out</source>
        <translation>{role}不能选择判定设置（方法、安全级别、签名区域）：将采用管理员在本机设置的值；请去掉这些选项</translation>
    </message>
    <message>
        <source>the account number {typed} contains a control character ({char}); type the number again</source>
        <translation>账号 {typed} 含有控制字符（{char}）；请重新输入账号</translation>
    </message>
    <message>
        <source>the account number {typed} contains {char}; an account number is made of letters A-Z and digits (spaces or dashes between groups are allowed)</source>
        <translation>账号 {typed} 含有 {char}；账号由字母 A-Z 和数字组成（各组之间可以有空格或短横线）</translation>
    </message>
</context>
<context>
    <name>AccountPicker</name>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Account number or holder&apos;s name</source>
        <translation>账号或账户持有人姓名</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>No account selected</source>
        <translation>未选择账户</translation>
    </message>
    <message>
        <source>Searching accounts…</source>
        <translation>正在搜索账户…</translation>
    </message>
    <message>
        <source>Loading references…</source>
        <translation>正在加载参考签名…</translation>
    </message>
    <message>
        <source>(no account matches)</source>
        <translation>（没有匹配的账户）</translation>
    </message>
</context>
<context>
    <name>ApprovalDialog</name>
    <message>
        <source>Supervisor approval needed</source>
        <translation>需要主管批准</translation>
    </message>
    <message>
        <source>The app called {name} &lt;b&gt;{verdict}&lt;/b&gt;. Paying it needs a reason of at least {min} characters and the approval of a supervisor or an admin, who enters their own name and password here. Both names go into the audit log.</source>
        <translation>系统判定 {name} 为&lt;b&gt;{verdict}&lt;/b&gt;。付款需填写至少 {min} 个字符的理由，并由主管或管理员在此输入本人的用户名和密码批准。双方姓名都会记入审计日志。</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Approve and pay</source>
        <translation>批准并付款</translation>
    </message>
</context>
<context>
    <name>AuditActions</name>
    <message>
        <source>Logged in</source>
        <translation>已登录</translation>
    </message>
    <message>
        <source>Login failed</source>
        <translation>登录失败</translation>
    </message>
    <message>
        <source>Login refused</source>
        <translation>登录被拒</translation>
    </message>
    <message>
        <source>Logged out</source>
        <translation>已退出登录</translation>
    </message>
    <message>
        <source>Session ended</source>
        <translation>会话已结束</translation>
    </message>
    <message>
        <source>Cheque checked</source>
        <translation>已核验支票</translation>
    </message>
    <message>
        <source>Cheque not checked</source>
        <translation>支票未核验</translation>
    </message>
    <message>
        <source>Decision recorded</source>
        <translation>已记录处理决定</translation>
    </message>
    <message>
        <source>Decision against the verdict</source>
        <translation>决定与结论不符</translation>
    </message>
    <message>
        <source>Supervisor approval failed</source>
        <translation>主管审批失败</translation>
    </message>
    <message>
        <source>Supervisor approval refused</source>
        <translation>主管审批被拒</translation>
    </message>
    <message>
        <source>Decision refused (row changed)</source>
        <translation>决定被拒绝（记录被修改）</translation>
    </message>
    <message>
        <source>Account created</source>
        <translation>已创建账户</translation>
    </message>
    <message>
        <source>Signatures enrolled</source>
        <translation>已登记签名</translation>
    </message>
    <message>
        <source>Signature removed</source>
        <translation>已撤销签名</translation>
    </message>
    <message>
        <source>Signature replaced</source>
        <translation>已替换签名</translation>
    </message>
    <message>
        <source>Signatures re-read by a new model</source>
        <translation>签名已由新模型重新读取</translation>
    </message>
    <message>
        <source>Banknote checked</source>
        <translation>已检验纸币</translation>
    </message>
    <message>
        <source>Banknote sides compared</source>
        <translation>已比对纸币两面</translation>
    </message>
    <message>
        <source>Banknote references enrolled</source>
        <translation>已登记参考纸币</translation>
    </message>
    <message>
        <source>Banknote reference removed</source>
        <translation>已撤销参考纸币</translation>
    </message>
    <message>
        <source>Banknote references re-read by a new model</source>
        <translation>参考纸币已由新模型重新读取</translation>
    </message>
    <message>
        <source>User created</source>
        <translation>已创建用户</translation>
    </message>
    <message>
        <source>Role changed</source>
        <translation>已更改角色</translation>
    </message>
    <message>
        <source>User removed</source>
        <translation>已删除用户</translation>
    </message>
    <message>
        <source>User restored</source>
        <translation>已恢复用户</translation>
    </message>
    <message>
        <source>Password reset</source>
        <translation>已重置密码</translation>
    </message>
    <message>
        <source>Settings changed</source>
        <translation>已更改设置</translation>
    </message>
    <message>
        <source>Settings file overruled</source>
        <translation>设置文件被覆盖</translation>
    </message>
    <message>
        <source>Signing key added on this PC</source>
        <translation>本机添加了签名密钥</translation>
    </message>
    <message>
        <source>Signing key trusted</source>
        <translation>已信任签名密钥</translation>
    </message>
    <message>
        <source>Audit log exported</source>
        <translation>已导出审计日志</translation>
    </message>
    <message>
        <source>Store upgraded (existing rows recorded)</source>
        <translation>数据库已升级（已记录现有数据行）</translation>
    </message>
</context>
<context>
    <name>AuditScreen</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>What</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>not a cheque</source>
        <translation>不是支票</translation>
    </message>
    <message>
        <source>no signature found</source>
        <translation>未找到签名</translation>
    </message>
    <message>
        <source>upside down?</source>
        <translation>上下颠倒？</translation>
    </message>
    <message>
        <source>turned 90°?</source>
        <translation>旋转了 90°？</translation>
    </message>
    <message>
        <source>page {page}</source>
        <translation>第 {page} 页</translation>
    </message>
    <message>
        <source>The stored details cannot be read: the row may have been changed.</source>
        <translation>无法读取存储的详情：该行可能已被篡改。</translation>
    </message>
    <message>
        <source>{verdict}, similarity {similarity}: {cheque}</source>
        <translation>{verdict}，相似度 {similarity}：{cheque}</translation>
    </message>
    <message>
        <source>decision on verification #{row} refused: the row was changed</source>
        <translation>针对核验 #{row} 的决定被拒绝：该记录被修改过</translation>
    </message>
    <message>
        <source>the file said {values}; audited row(s) {rows} used</source>
        <translation>文件中为 {values}；已采用审计记录 {rows}</translation>
    </message>
    <message>
        <source>key {label} ({key}…) on {pc}</source>
        <translation>密钥 {label}（{key}…），位于 {pc}</translation>
    </message>
    <message>
        <source>{decision} (verdict {verdict}): {cheque}</source>
        <translation>{decision}（结论 {verdict}）：{cheque}</translation>
    </message>
    <message>
        <source>{text}: “{reason}”</source>
        <translation>{text}：“{reason}”</translation>
    </message>
    <message>
        <source>{text} (approved by {user})</source>
        <translation>{text}（由 {user} 批准）</translation>
    </message>
    <message numerus="yes">
        <source>%n reference(s)</source>
        <translation>
            <numerusform>%n 个参考样本</numerusform>
        </translation>
    </message>
    <message>
        <source>references</source>
        <translation>参考样本</translation>
    </message>
    <message>
        <source>{text} from {sources}</source>
        <translation>{text}，来自 {sources}</translation>
    </message>
    <message>
        <source>Entry #{id}: {name} ({action})</source>
        <translation>条目 #{id}：{name}（{action}）</translation>
    </message>
    <message>
        <source>Time: {local} local ({utc} UTC)</source>
        <translation>时间：本地 {local}（UTC {utc}）</translation>
    </message>
    <message>
        <source>User: {user}</source>
        <translation>用户：{user}</translation>
    </message>
    <message>
        <source>Account: {account}</source>
        <translation>账户：{account}</translation>
    </message>
    <message>
        <source>Model: {model}</source>
        <translation>模型：{model}</translation>
    </message>
    <message>
        <source>Hash: {hash}</source>
        <translation>哈希：{hash}</translation>
    </message>
    <message>
        <source>Previous hash: {hash}</source>
        <translation>上一条哈希：{hash}</translation>
    </message>
    <message>
        <source>Row {row}: {digest}</source>
        <translation>数据行 {row}：{digest}</translation>
    </message>
    <message>
        <source>Any</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Apply filters</source>
        <translation>应用筛选</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Verify chain</source>
        <translation>校验哈希链</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>To</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Select a row to read the whole entry.</source>
        <translation>选择一行以查看完整条目。</translation>
    </message>
    <message>
        <source>Show hashes</source>
        <translation>显示哈希</translation>
    </message>
    <message>
        <source>The entry&apos;s hash, the previous entry&apos;s hash and the digests of the rows it wrote</source>
        <translation>本条目的哈希、上一条目的哈希及其写入数据行的摘要</translation>
    </message>
    <message>
        <source>Selected entry</source>
        <translation>所选条目</translation>
    </message>
    <message>
        <source>Reading the audit log…</source>
        <translation>正在读取审计日志…</translation>
    </message>
    <message>
        <source>Verifying the audit chain…</source>
        <translation>正在校验审计哈希链…</translation>
    </message>
    <message numerus="yes">
        <source>Chain intact: %n rows verified.</source>
        <translation>
            <numerusform>哈希链完整：已校验 %n 行。</numerusform>
        </translation>
    </message>
    <message>
        <source>CHAIN BROKEN at row {row}: {problem}.</source>
        <translation>哈希链断裂，位于第 {row} 行：{problem}。</translation>
    </message>
    <message>
        <source>Export audit log</source>
        <translation>导出审计日志</translation>
    </message>
    <message>
        <source>CSV</source>
        <translation>CSV 文件</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
</context>
<context>
    <name>BackgroundHost</name>
    <message>
        <source>Cannot do that</source>
        <translation>无法执行该操作</translation>
    </message>
    <message>
        <source>Cannot use this input</source>
        <translation>无法使用此输入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Stop the check or scan that is running (Esc)</source>
        <translation>停止正在进行的检查或扫描（Esc）</translation>
    </message>
    <message>
        <source>A scan takes at most {count} pages: sheets still in the feeder were not scanned.</source>
        <translation>每次扫描最多 {count} 页：进纸器中剩余的纸张未被扫描。</translation>
    </message>
    <message>
        <source>Scanned pages</source>
        <translation>已扫描的页</translation>
    </message>
    <message>
        <source>Scanning: {source}…</source>
        <translation>正在扫描：{source}…</translation>
    </message>
</context>
<context>
    <name>BanknoteCapture</name>
    <message>
        <source>Camera {index} cannot be opened: check that it is plugged in, not in use by another program, and that the camera number is right.</source>
        <translation>无法打开摄像头 {index}：请检查摄像头是否已连接、是否被其他程序占用，以及摄像头编号是否正确。</translation>
    </message>
    <message>
        <source>Camera {index} opened but gave no picture: try again, or choose another camera number.</source>
        <translation>摄像头 {index} 已打开但没有画面：请重试，或选择其他摄像头编号。</translation>
    </message>
</context>
<context>
    <name>BanknoteEnrollScreen</name>
    <message>
        <source>Banknote model: loading…</source>
        <translation>纸币模型：正在加载…</translation>
    </message>
    <message>
        <source>New reference notes (1 to {count} pictures of one side; drop files here)</source>
        <translation>新参考纸币（同一面 1 至 {count} 张图片；可将文件拖放到此处）</translation>
    </message>
    <message>
        <source>Letters only, e.g. CYR; pick a known one or type a new one</source>
        <translation>仅限字母，如 CYR；可选择已有币种或输入新币种</translation>
    </message>
    <message>
        <source>The value printed on the note, e.g. 200</source>
        <translation>纸币上印的面值，如 200</translation>
    </message>
    <message>
        <source>front</source>
        <translation>正面</translation>
    </message>
    <message>
        <source>back</source>
        <translation>背面</translation>
    </message>
    <message>
        <source>e.g. 2024 issue (optional)</source>
        <translation>如 2024 版（可选）</translation>
    </message>
    <message>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
    <message>
        <source>Denomination</source>
        <translation>面额</translation>
    </message>
    <message>
        <source>Side</source>
        <translation>面</translation>
    </message>
    <message>
        <source>Series</source>
        <translation>版别</translation>
    </message>
    <message>
        <source>Add pictures…</source>
        <translation>添加图片…</translation>
    </message>
    <message>
        <source>Remove selected</source>
        <translation>移除所选</translation>
    </message>
    <message>
        <source>Save reference notes</source>
        <translation>保存参考纸币</translation>
    </message>
    <message>
        <source>Straightened note</source>
        <translation>校正后的纸币</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <source>Enroll a currency folder…</source>
        <translation>登记币种文件夹…</translation>
    </message>
    <message>
        <source>A folder holding &lt;currency&gt;/&lt;denomination&gt;/&lt;side&gt;/ folders of pictures (up to 5 per side); the series above applies to all</source>
        <translation>包含 &lt;币种&gt;/&lt;面额&gt;/&lt;面&gt;/ 图片文件夹的文件夹（每面最多 5 张）；上方的版别适用于全部</translation>
    </message>
    <message>
        <source>Enrolled reference notes</source>
        <translation>已登记的参考纸币</translation>
    </message>
    <message>
        <source>Show revoked</source>
        <translation>显示已撤销</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>纸币</translation>
    </message>
    <message>
        <source>Class and series</source>
        <translation>类别与版别</translation>
    </message>
    <message>
        <source>Enrolled</source>
        <translation>登记信息</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Reason for revoking (needed)</source>
        <translation>撤销理由（必填）</translation>
    </message>
    <message>
        <source>Revoke selected</source>
        <translation>撤销所选</translation>
    </message>
    <message>
        <source>Reading the known denominations…</source>
        <translation>正在读取已知面额…</translation>
    </message>
    <message>
        <source>Reference note pictures</source>
        <translation>参考纸币图片</translation>
    </message>
    <message>
        <source>Reading the notes…</source>
        <translation>正在读取纸币…</translation>
    </message>
    <message>
        <source>Turning the note…</source>
        <translation>正在旋转纸币…</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>Turn</source>
        <translation>旋转</translation>
    </message>
    <message>
        <source>Turn the note round if it was read upside down</source>
        <translation>如果纸币被读成上下颠倒，将其旋转 180 度</translation>
    </message>
    <message>
        <source>{key}: a known class; these notes add a series to it.</source>
        <translation>{key}：已知类别；这些纸币将为其新增一个版别。</translation>
    </message>
    <message>
        <source>{key}: a new denomination.</source>
        <translation>{key}：新面额。</translation>
    </message>
    <message>
        <source>Add 1 to {count} pictures of the same side of the note.</source>
        <translation>请添加纸币同一面的 1 至 {count} 张图片。</translation>
    </message>
    <message>
        <source>Remove the pictures with a problem to save.</source>
        <translation>请移除有问题的图片后再保存。</translation>
    </message>
    <message>
        <source>At most {count} pictures at a time.</source>
        <translation>每次最多 {count} 张图片。</translation>
    </message>
    <message>
        <source>Fill in the currency and the denomination.</source>
        <translation>请填写币种和面额。</translation>
    </message>
    <message numerus="yes">
        <source>%n picture(s) ready to save as {key}.</source>
        <translation>
            <numerusform>%n 张图片可保存为 {key}。</numerusform>
        </translation>
    </message>
    <message>
        <source>Saving the reference notes…</source>
        <translation>正在保存参考纸币…</translation>
    </message>
    <message>
        <source>Currency folder (&lt;currency&gt;/&lt;denomination&gt;/&lt;side&gt;/)</source>
        <translation>币种文件夹（&lt;币种&gt;/&lt;面额&gt;/&lt;面&gt;/）</translation>
    </message>
    <message>
        <source>Enrolling {folder}…</source>
        <translation>正在登记 {folder}…</translation>
    </message>
    <message>
        <source>Enrolling the currency folder…</source>
        <translation>正在登记币种文件夹…</translation>
    </message>
    <message numerus="yes">
        <source>Saved {done} of %n side(s).</source>
        <translation>
            <numerusform>已保存 {done} / %n 个面。</numerusform>
        </translation>
    </message>
    <message>
        <source>Reading the reference notes…</source>
        <translation>正在读取参考纸币…</translation>
    </message>
    <message>
        <source>active</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>revoked by {user}: {reason}</source>
        <translation>已由 {user} 撤销：{reason}</translation>
    </message>
    <message>
        <source>#{id} · {date}
by {user}
{file}</source>
        <translation>#{id} · {date}
登记人 {user}
{file}</translation>
    </message>
    <message>
        <source>{file}, enrolled {when} by {user} (model {model})</source>
        <translation>{file}，由 {user} 于 {when} 登记（模型 {model}）</translation>
    </message>
    <message>
        <source>(no series)</source>
        <translation>（无版别）</translation>
    </message>
    <message>
        <source>Select one enrolled reference note to revoke.</source>
        <translation>请选择一张要撤销的已登记参考纸币。</translation>
    </message>
    <message>
        <source>Revoking…</source>
        <translation>正在撤销…</translation>
    </message>
</context>
<context>
    <name>BanknoteScreen</name>
    <message>
        <source>Banknote model: loading…</source>
        <translation>纸币模型：正在加载…</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <source>Scan with the scanner chosen in Settings, or take the newest image in the scan folder (Ctrl+Shift+S)</source>
        <translation>使用设置中选定的扫描仪扫描，或读取扫描文件夹中的最新图像（Ctrl+Shift+S）</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>camera </source>
        <translation>摄像头 </translation>
    </message>
    <message>
        <source>Which camera: 0 is the first one the system lists.</source>
        <translation>选择摄像头：0 为系统列出的第一个摄像头。</translation>
    </message>
    <message>
        <source>Next picture is the other side of this note</source>
        <translation>下一张图片是这张纸币的另一面</translation>
    </message>
    <message>
        <source>Open, drop or scan a picture of a banknote,
or take one with the camera</source>
        <translation>打开、拖入或扫描一张纸币图片，
或用摄像头拍摄一张</translation>
    </message>
    <message>
        <source>Green: the note found; red dot: its top-left corner as read.</source>
        <translation>绿框：找到的纸币；红点：识别出的纸币左上角。</translation>
    </message>
    <message>
        <source>Straightened note (what the model reads)</source>
        <translation>校正后的纸币（模型读取的图像）</translation>
    </message>
    <message>
        <source>Other side</source>
        <translation>另一面</translation>
    </message>
    <message>
        <source>Denomination</source>
        <translation>面额</translation>
    </message>
    <message>
        <source>Authenticity</source>
        <translation>真伪</translation>
    </message>
    <message>
        <source>Nearest reference notes</source>
        <translation>最相近的参考纸币</translation>
    </message>
    <message>
        <source>Both sides</source>
        <translation>正反两面</translation>
    </message>
    <message>
        <source>Tick “Next picture is the other side” after a check to check the other side of the same note.</source>
        <translation>检查后勾选“下一张图片是另一面”，即可检查同一张纸币的另一面。</translation>
    </message>
    <message>
        <source>Banknote (drop a picture, open, scan or use the camera)</source>
        <translation>纸币（拖入图片、打开、扫描或使用摄像头）</translation>
    </message>
    <message>
        <source>Banknote picture</source>
        <translation>纸币图片</translation>
    </message>
    <message numerus="yes">
        <source>%n pages were scanned; the first is checked. The pages are in {folder}.</source>
        <translation>
            <numerusform>已扫描 %n 页；正在检查第一页。这些页面位于 {folder}。</numerusform>
        </translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在检查 {name}…</translation>
    </message>
    <message>
        <source>Taking a picture with camera {index}…</source>
        <translation>正在用摄像头 {index} 拍摄…</translation>
    </message>
    <message>
        <source>Banknote: {name}</source>
        <translation>纸币：{name}</translation>
    </message>
    <message>
        <source>audit #{id}</source>
        <translation>审计 #{id}</translation>
    </message>
    <message>
        <source>Only this side was checked.</source>
        <translation>只检查了这一面。</translation>
    </message>
    <message>
        <source>{percent} sure</source>
        <translation>置信度 {percent}</translation>
    </message>
    <message>
        <source>{note}  (distance {distance})</source>
        <translation>{note}  （距离 {distance}）</translation>
    </message>
    <message>
        <source>Second opinion (SVM): none (it knows the shipped denominations only).</source>
        <translation>第二意见（SVM）：无（它只识别出厂自带的面额）。</translation>
    </message>
    <message>
        <source>Second opinion (SVM): {note}.</source>
        <translation>第二意见（SVM）：{note}。</translation>
    </message>
    <message>
        <source>Second opinion (SVM): {note} (disagrees).</source>
        <translation>第二意见（SVM）：{note}（不一致）。</translation>
    </message>
    <message>
        <source>The note was read turned round.</source>
        <translation>纸币是按倒转方向读取的。</translation>
    </message>
    <message>
        <source>Printed detail: no reference side found in the picture.</source>
        <translation>印刷细节：图片中未找到对应的参考面。</translation>
    </message>
    <message numerus="yes">
        <source>Printed detail: %n keypoints agree with the {note} reference.</source>
        <translation>
            <numerusform>印刷细节：%n 个特征点与 {note} 参考纸币吻合。</numerusform>
        </translation>
    </message>
    <message>
        <source>Distance to the genuine {note} notes {distance}, within the threshold {threshold} (not used: an enrolled denomination).</source>
        <translation>与真实 {note} 纸币的距离为 {distance}，在阈值 {threshold} 以内（未采用：该面额为登记面额）。</translation>
    </message>
    <message>
        <source>Distance to the genuine {note} notes {distance}, beyond the threshold {threshold} (not used: an enrolled denomination).</source>
        <translation>与真实 {note} 纸币的距离为 {distance}，超出阈值 {threshold}（未采用：该面额为登记面额）。</translation>
    </message>
    <message>
        <source>Distance to the genuine {note} notes {distance}, within the threshold {threshold}.</source>
        <translation>与真实 {note} 纸币的距离为 {distance}，在阈值 {threshold} 以内。</translation>
    </message>
    <message>
        <source>Distance to the genuine {note} notes {distance}, beyond the threshold {threshold}.</source>
        <translation>与真实 {note} 纸币的距离为 {distance}，超出阈值 {threshold}。</translation>
    </message>
    <message>
        <source>Counterfeit score {score} (suspect above {threshold}).</source>
        <translation>伪钞评分 {score}（高于 {threshold} 为可疑）。</translation>
    </message>
    <message>
        <source>No counterfeit model for this denomination.</source>
        <translation>此面额没有伪钞模型。</translation>
    </message>
    <message>
        <source>shipped</source>
        <translation>出厂自带</translation>
    </message>
    <message>
        <source>enrolled #{id}</source>
        <translation>登记 #{id}</translation>
    </message>
    <message>
        <source>{key}
distance {distance} · {where}</source>
        <translation>{key}
距离 {distance} · {where}</translation>
    </message>
    <message>
        <source>Other side ({name}): {note}, {percent} sure, {verdict}{reasons}.</source>
        <translation>另一面（{name}）：{note}，置信度 {percent}，{verdict}{reasons}。</translation>
    </message>
    <message>
        <source>The two sides belong to the same note.</source>
        <translation>两面属于同一张纸币。</translation>
    </message>
</context>
<context>
    <name>BranchWindow</name>
    <message>
        <source>Loading model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Store: {location}</source>
        <translation>数据库：{location}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Scan</source>
        <translation>扫描(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Log out / switch user</source>
        <translation>退出登录 / 切换用户(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Help for this screen</source>
        <translation>本界面帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>Signature and banknote verification — {user} ({role})</source>
        <translation>签名与纸币核验 — {user}（{role}）</translation>
    </message>
    <message>
        <source>Cheque check</source>
        <translation>支票核验</translation>
    </message>
    <message>
        <source>Banknotes</source>
        <translation>纸币</translation>
    </message>
    <message>
        <source>Enrollment</source>
        <translation>签名登记</translation>
    </message>
    <message>
        <source>Banknote references</source>
        <translation>参考纸币</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>development copy</source>
        <translation>开发版</translation>
    </message>
    <message>
        <source>Signature model: {model}</source>
        <translation>签名模型：{model}</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>Banknote model: {model}</source>
        <translation>纸币模型：{model}</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>Signature and banknote verification {version}</source>
        <translation>签名与纸币核验 {version}</translation>
    </message>
    <message>
        <source>Signature and banknote verification — logged out</source>
        <translation>签名与纸币核验 — 已退出登录</translation>
    </message>
    <message>
        <source>Loading model from {folder}…</source>
        <translation>正在从 {folder} 加载模型…</translation>
    </message>
    <message>
        <source>The model does not offer the {method} method; using distance.</source>
        <translation>该模型不提供 {method} 方法；改用距离法。</translation>
    </message>
    <message>
        <source>Banknote model: loading from {folder}…</source>
        <translation>纸币模型：正在从 {folder} 加载…</translation>
    </message>
    <message>
        <source>Loading banknote model…</source>
        <translation>正在加载纸币模型…</translation>
    </message>
    <message>
        <source>Banknote model {model}</source>
        <translation>纸币模型 {model}</translation>
    </message>
    <message numerus="yes">
        <source>%n denominations shipped</source>
        <translation>
            <numerusform>内置 %n 种面额</numerusform>
        </translation>
    </message>
    <message>
        <source>suspect beyond the calibrated distance (target false alarm {rate})</source>
        <translation>超出校准距离即判为可疑（目标误报率 {rate}）</translation>
    </message>
    <message>
        <source>Banknotes {model} · {signer}</source>
        <translation>纸币 {model} · {signer}</translation>
    </message>
    <message>
        <source>No banknote model</source>
        <translation>无纸币模型</translation>
    </message>
    <message>
        <source>The banknote model cannot be used, so banknotes cannot be checked (cheques still can): {message}</source>
        <translation>纸币模型无法使用，因此无法检验纸币（仍可核验支票）：{message}</translation>
    </message>
    <message>
        <source>Locked after {minutes} minutes without use. {user}, enter your password to go on.</source>
        <translation>已闲置 {minutes} 分钟，界面已锁定。{user}，请输入密码继续。</translation>
    </message>
</context>
<context>
    <name>CheckScreen</name>
    <message>
        <source>Accept (pay)</source>
        <translation>接受（付款）</translation>
    </message>
    <message>
        <source>Refer</source>
        <translation>转交复核</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>NOT A CHEQUE</source>
        <translation>不是支票</translation>
    </message>
    <message>
        <source>NO SIGNATURE FOUND</source>
        <translation>未找到签名</translation>
    </message>
    <message>
        <source>UPSIDE DOWN?</source>
        <translation>上下颠倒？</translation>
    </message>
    <message>
        <source>TURNED 90°?</source>
        <translation>旋转了 90°？</translation>
    </message>
    <message>
        <source>PAGE NOT USABLE</source>
        <translation>此页无法使用</translation>
    </message>
    <message>
        <source>Enrolled references:</source>
        <translation>已登记的参考签名：</translation>
    </message>
    <message>
        <source>Cheque (drop an image, open or scan)</source>
        <translation>支票（拖入图片、打开或扫描）</translation>
    </message>
    <message>
        <source>Open cheque…</source>
        <translation>打开支票…</translation>
    </message>
    <message>
        <source>Scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <source>Scan with the scanner chosen in Settings, or take the newest image in the scan folder (Ctrl+Shift+S)</source>
        <translation>使用设置中选定的扫描仪扫描，或读取扫描文件夹中的最新图像（Ctrl+Shift+S）</translation>
    </message>
    <message>
        <source>Reset zone</source>
        <translation>重置区域</translation>
    </message>
    <message>
        <source>Check against this account</source>
        <translation>按此账户检查</translation>
    </message>
    <message>
        <source>Page </source>
        <translation>第 </translation>
    </message>
    <message>
        <source>This file has several pages: pick the one with the cheque</source>
        <translation>此文件有多页：请选择支票所在的页</translation>
    </message>
    <message>
        <source>Signature found</source>
        <translation>找到的签名</translation>
    </message>
    <message>
        <source>What the model compares</source>
        <translation>模型比对的图像</translation>
    </message>
    <message>
        <source>Blue dashes: signature zone (drag a rectangle to move it). Green: the signature found.</source>
        <translation>蓝色虚线：签名区域（拖出矩形可移动它）。绿框：找到的签名。</translation>
    </message>
    <message>
        <source>Verdict and decision</source>
        <translation>结论与决定</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>技术细节</translation>
    </message>
    <message>
        <source>Reason (at least {min} characters to accept again or to go against the verdict; refer needs none)</source>
        <translation>理由（再次接受或违背判定时至少 {min} 个字符；转交无需理由）</translation>
    </message>
    <message>
        <source>Reason (at least {min} characters to accept or reject against the verdict; refer needs none)</source>
        <translation>理由（违背结论接受或拒绝时至少 {min} 个字符；转交复核无需理由）</translation>
    </message>
    <message numerus="yes">
        <source>Account {number} · %n reference(s)</source>
        <translation>
            <numerusform>账户 {number} · %n 个参考签名</numerusform>
        </translation>
    </message>
    <message>
        <source>reference {id}</source>
        <translation>参考签名 {id}</translation>
    </message>
    <message>
        <source>similarity {value}</source>
        <translation>相似度 {value}</translation>
    </message>
    <message>
        <source>Cheque image</source>
        <translation>支票图片</translation>
    </message>
    <message>
        <source>Cheque: {name}</source>
        <translation>支票：{name}</translation>
    </message>
    <message>
        <source>The cheque&apos;s strokes were thinner than the references&apos;: thickened by {px} px before comparing (shown as compared).</source>
        <translation>支票上的笔画比参考签名细：比对前已加粗 {px} 像素（显示的是比对所用的图像）。</translation>
    </message>
    <message numerus="yes">
        <source>Differs from the %n reference(s): similarity {value}, below {reject}, where a signature counts as forged; the closest one ({closest}) is {best} alike. Compare it with the references on the left before you decide.</source>
        <translation>
            <numerusform>与 %n 个参考签名不相符：相似度 {value}，低于判定为伪造的 {reject}；最接近的一个（{closest}）相似度为 {best}。请先与左侧的参考签名比对后再作决定。</numerusform>
        </translation>
    </message>
    <message>
        <source>Select the account first, then open the cheque.</source>
        <translation>请先选择账户，再打开支票。</translation>
    </message>
    <message>
        <source> of {pages}</source>
        <translation> 页，共 {pages} 页</translation>
    </message>
    <message>
        <source>That zone cannot be used: {problem}</source>
        <translation>该区域无法使用：{problem}</translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在检查 {name}…</translation>
    </message>
    <message>
        <source>Similarity {value}</source>
        <translation>相似度 {value}</translation>
    </message>
    <message>
        <source>target FAR {percent}%</source>
        <translation>目标误识率 {percent}%</translation>
    </message>
    <message>
        <source>default level</source>
        <translation>默认水平</translation>
    </message>
    <message numerus="yes">
        <source>Against %n references ({method} method, {far}): genuine at similarity ≥ {accept}, forged below {reject}, needs review in between. Skew corrected {angle}°. Model {model} on {provider}. Audit #{audit}.</source>
        <translation>
            <numerusform>对比 %n 个参考签名（{method} 方法，{far}）：相似度 ≥ {accept} 为真实，低于 {reject} 为伪造，介于两者之间需复核。倾斜已校正 {angle}°。模型 {model}，运行设备 {provider}。审计 #{audit}。</numerusform>
        </translation>
    </message>
    <message>
        <source>{decision}: {rule}</source>
        <translation>{decision}：{rule}</translation>
    </message>
    <message numerus="yes">
        <source>Matches the %n reference(s) closely: similarity {value}, where {accept} or more counts as genuine.</source>
        <translation>
            <numerusform>与 %n 个参考签名高度吻合：相似度 {value}（达到 {accept} 即判定为真实）。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Resembles the %n reference(s), but not closely enough to pass (similarity {value}; genuine from {accept}): compare it by eye with the references on the left.</source>
        <translation>
            <numerusform>与 %n 个参考签名相似，但不足以通过（相似度 {value}；达到 {accept} 才判定为真实）：请与左侧的参考签名人工比对。</numerusform>
        </translation>
    </message>
    <message>
        <source>This cheque was already accepted on {when} by {user} for account {account}.</source>
        <translation>此支票已于 {when} 由 {user} 针对账户 {account} 接受。</translation>
    </message>
    <message>
        <source>This cheque was already decided on: {decision} on {when} by {user} for account {account}.</source>
        <translation>此支票已有决定：{decision}，{when}，由 {user} 针对账户 {account}。</translation>
    </message>
    <message numerus="yes">
        <source>%n more earlier decision(s) in the audit log.</source>
        <translation>
            <numerusform>审计日志中还有 %n 条更早的决定。</numerusform>
        </translation>
    </message>
    <message>
        <source>Check that it is not being presented twice: paying it again needs a reason.</source>
        <translation>请确认它没有被重复提交：再次付款需要填写理由。</translation>
    </message>
    <message>
        <source>NOT CHECKED</source>
        <translation>未检查</translation>
    </message>
    <message>
        <source>{problem}. No verdict was given; the refusal is in the audit log (#{audit}).</source>
        <translation>{problem}。未给出判定；此次拒绝已记入审计日志（#{audit}）。</translation>
    </message>
    <message>
        <source>{problem}. Nothing was compared.</source>
        <translation>{problem}。未进行比对。</translation>
    </message>
    <message>
        <source>{problem}. Nothing was compared; the refusal is in the audit log (#{audit}).</source>
        <translation>{problem}。未进行比对；此次拒检已记入审计日志（#{audit}）。</translation>
    </message>
    <message numerus="yes">
        <source>This file has %n pages: pick another page above.</source>
        <translation>
            <numerusform>此文件共 %n 页：请在上方选择其他页。</numerusform>
        </translation>
    </message>
    <message>
        <source>Drag a rectangle around the signature on the cheque to check that zone.</source>
        <translation>在支票上的签名周围拖出一个矩形，即可检查该区域。</translation>
    </message>
    <message>
        <source>Recording the decision…</source>
        <translation>正在记录决定…</translation>
    </message>
    <message>
        <source>Decision recorded on {name}: {decision} (#{id}).</source>
        <translation>已记录 {name} 的决定：{decision}（#{id}）。</translation>
    </message>
</context>
<context>
    <name>ChequeView</name>
    <message>
        <source>Open, drop or scan a cheque</source>
        <translation>打开、拖入或扫描一张支票</translation>
    </message>
</context>
<context>
    <name>EnrollScreen</name>
    <message>
        <source>ok</source>
        <translation>合格</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>New account holder</source>
        <translation>新账户持有人</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>创建</translation>
    </message>
    <message>
        <source>Account number</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Holder&apos;s name</source>
        <translation>持有人姓名</translation>
    </message>
    <message>
        <source>Enrolled references</source>
        <translation>已登记的参考签名</translation>
    </message>
    <message>
        <source>Reason for revoking or replacing</source>
        <translation>撤销或替换的理由</translation>
    </message>
    <message>
        <source>Revoke selected</source>
        <translation>撤销所选</translation>
    </message>
    <message>
        <source>Replace selected with selected new signature</source>
        <translation>用所选新签名替换所选参考签名</translation>
    </message>
    <message>
        <source>New reference signatures ({low} to {high} per account; drop files here)</source>
        <translation>新参考签名（每个账户 {low} 至 {high} 个；可将文件拖放到此处）</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>签名</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>质量检查</translation>
    </message>
    <message>
        <source>Findings</source>
        <translation>检查结果</translation>
    </message>
    <message>
        <source>Add signature files…</source>
        <translation>添加签名文件…</translation>
    </message>
    <message>
        <source>Add a signature card…</source>
        <translation>添加签名卡…</translation>
    </message>
    <message>
        <source>Remove selected</source>
        <translation>移除所选</translation>
    </message>
    <message>
        <source>Save enrollment</source>
        <translation>保存登记</translation>
    </message>
    <message>
        <source>Creating the account…</source>
        <translation>正在创建账户…</translation>
    </message>
    <message>
        <source>&lt;b&gt;{holder}&lt;/b&gt; · account {number}</source>
        <translation>&lt;b&gt;{holder}&lt;/b&gt; · 账户 {number}</translation>
    </message>
    <message>
        <source>{file}
enrolled {date} by {user}</source>
        <translation>{file}
由 {user} 于 {date} 登记</translation>
    </message>
    <message>
        <source>Signature card</source>
        <translation>签名卡</translation>
    </message>
    <message>
        <source>Reference signatures</source>
        <translation>参考签名</translation>
    </message>
    <message>
        <source>Reading signatures…</source>
        <translation>正在读取签名…</translation>
    </message>
    <message>
        <source>Checking quality…</source>
        <translation>正在检查质量…</translation>
    </message>
    <message>
        <source>good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>Select or create the account first.</source>
        <translation>请先选择或创建账户。</translation>
    </message>
    <message>
        <source>Remove the rejected signatures to save.</source>
        <translation>请移除被拒绝的签名后再保存。</translation>
    </message>
    <message>
        <source>{enrolled} enrolled + {new} new = {total} (needs {low} to {high}).</source>
        <translation>已登记 {enrolled} + 新增 {new} = {total}（需要 {low} 至 {high} 个）。</translation>
    </message>
    <message>
        <source>Saving the enrollment…</source>
        <translation>正在保存登记…</translation>
    </message>
    <message numerus="yes">
        <source>Saved: %n reference(s) enrolled.</source>
        <translation>
            <numerusform>已保存：已登记 %n 个参考签名。</numerusform>
        </translation>
    </message>
    <message>
        <source>Revoking…</source>
        <translation>正在撤销…</translation>
    </message>
    <message>
        <source>Select one enrolled reference and one new signature.</source>
        <translation>请选择一个已登记的参考签名和一个新签名。</translation>
    </message>
    <message>
        <source>Replacing…</source>
        <translation>正在替换…</translation>
    </message>
</context>
<context>
    <name>LockPanel</name>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Log out / switch user</source>
        <translation>退出登录 / 切换用户</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Create the administrator</source>
        <translation>创建管理员</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>First start: create the administrator, who then creates the clerks and operators.</source>
        <translation>首次启动：请创建管理员，之后由管理员创建柜员和操作员。</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Repeat password</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Signature verification</source>
        <translation>签名验证</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Add references…</source>
        <translation>添加参考签名…</translation>
    </message>
    <message>
        <source>Open query…</source>
        <translation>打开待验签名…</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source> Execution provider: </source>
        <translation> 运行设备：</translation>
    </message>
    <message>
        <source>References (drop files here)</source>
        <translation>参考签名（将文件拖到此处）</translation>
    </message>
    <message>
        <source>Remove selected</source>
        <translation>移除所选</translation>
    </message>
    <message>
        <source>As scanned:</source>
        <translation>扫描原图：</translation>
    </message>
    <message>
        <source>Preprocessed (what the model compares):</source>
        <translation>预处理后（模型比对的图像）：</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Query signature (drop a file here)</source>
        <translation>待验签名（将文件拖到此处）</translation>
    </message>
    <message>
        <source>No query yet: open or drop a scanned signature.</source>
        <translation>尚无待验签名：请打开或拖入扫描的签名。</translation>
    </message>
    <message>
        <source>Similarity: —</source>
        <translation>相似度：—</translation>
    </message>
    <message>
        <source>Loading model from {folder}…</source>
        <translation>正在从 {folder} 加载模型…</translation>
    </message>
    <message>
        <source>Execution provider: {provider}</source>
        <translation>运行设备：{provider}</translation>
    </message>
    <message>
        <source>Reference signatures</source>
        <translation>参考签名</translation>
    </message>
    <message>
        <source>Query signature</source>
        <translation>待验签名</translation>
    </message>
    <message>
        <source>Reading {path}…</source>
        <translation>正在读取 {path}…</translation>
    </message>
    <message>
        <source>Query signature: {name}</source>
        <translation>待验签名：{name}</translation>
    </message>
    <message>
        <source>Warning: {warning}.</source>
        <translation>警告：{warning}。</translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>Add at least one reference and a query.</source>
        <translation>请至少添加一个参考签名和一个待验签名。</translation>
    </message>
    <message>
        <source>Similarity: {value}</source>
        <translation>相似度：{value}</translation>
    </message>
    <message numerus="yes">
        <source>Genuine from similarity {accept}, forged below {reject}, needs review in between (against %n reference(s)).</source>
        <translation>
            <numerusform>相似度达到 {accept} 判定为真实，低于 {reject} 判定为伪造，介于两者之间需复核（对照 %n 个参考签名）。</numerusform>
        </translation>
    </message>
    <message>
        <source>Technical: score {distance} against {score} (a distance relative to the references&apos; spread; similarity 0.5 is that threshold; calibrated for K={k}).</source>
        <translation>技术细节：得分 {distance}，阈值 {score}（相对于参考签名离散程度的距离；相似度 0.5 即对应该阈值；按 K={k} 校准）。</translation>
    </message>
    <message>
        <source>On validation writers at that threshold: EER {eer}%, FAR skilled {far_skilled}%, FAR random {far_random}%, FRR {frr}%.</source>
        <translation>在该阈值下验证集书写人的结果：EER {eer}%，高仿 FAR {far_skilled}%，随机 FAR {far_random}%，FRR {frr}%。</translation>
    </message>
    <message>
        <source>similarity {value}</source>
        <translation>相似度 {value}</translation>
    </message>
</context>
<context>
    <name>ScreenHelp</name>
    <message>
        <source>Check the signature on a cheque against the account holder&apos;s enrolled references.</source>
        <translation>将支票上的签名与账户持有人已登记的参考签名进行比对。</translation>
    </message>
    <message>
        <source>Find the account by its number or the holder&apos;s name and click it.</source>
        <translation>按账号或持有人姓名查找账户并点击。</translation>
    </message>
    <message>
        <source>Open the cheque (Ctrl+O), drop the file on the cheque area, or scan it (Ctrl+Shift+S). PDF and multi-page TIFF scans: pick the page beside the buttons.</source>
        <translation>打开支票（Ctrl+O）、将文件拖放到支票区域或扫描（Ctrl+Shift+S）。PDF 和多页 TIFF 扫描件：在按钮旁选择页。</translation>
    </message>
    <message>
        <source>Read the verdict: GENUINE, NEEDS REVIEW or FORGED, with the references it was compared with.</source>
        <translation>查看结论：真实、需复核或伪造，以及用于比对的参考签名。</translation>
    </message>
    <message>
        <source>If the signature was not found, drag a rectangle around it on the cheque.</source>
        <translation>如果未找到签名，请在支票上拖出一个矩形框住签名。</translation>
    </message>
    <message>
        <source>Record Accept, Refer or Reject. Going against the verdict needs a reason; paying a cheque called forged also needs a supervisor.</source>
        <translation>记录接受（付款）、转交复核或拒绝。与结论相反的决定需填写理由；对判为伪造的支票付款还需主管批准。</translation>
    </message>
    <message>
        <source>Name a banknote&apos;s denomination and judge whether it looks genuine.</source>
        <translation>识别纸币面额并判断其是否为真。</translation>
    </message>
    <message>
        <source>Open a picture (Ctrl+O), drop it, scan it (Ctrl+Shift+S) or use the camera.</source>
        <translation>打开图片（Ctrl+O）、拖放图片、扫描（Ctrl+Shift+S）或使用摄像头。</translation>
    </message>
    <message>
        <source>Read the denomination, how sure the app is, and GENUINE or SUSPECT with the reasons.</source>
        <translation>查看面额、程序的把握程度，以及真实或可疑的结论和理由。</translation>
    </message>
    <message>
        <source>For both sides of one note, tick the other-side box and check the second side.</source>
        <translation>检验同一张纸币的两面时，勾选“另一面”并检验第二面。</translation>
    </message>
    <message>
        <source>Enroll an account holder&apos;s reference signatures (3 to 10).</source>
        <translation>登记账户持有人的参考签名（3 至 10 个）。</translation>
    </message>
    <message>
        <source>Create the account, or search for it.</source>
        <translation>创建账户，或搜索已有账户。</translation>
    </message>
    <message>
        <source>Add signature files (Ctrl+O) or a signature card; each page of a PDF is a candidate.</source>
        <translation>添加签名文件（Ctrl+O）或签名卡；PDF 的每一页都是一个候选签名。</translation>
    </message>
    <message>
        <source>Read the quality checks; remove doubtful signatures.</source>
        <translation>查看质量检查结果；移除有疑问的签名。</translation>
    </message>
    <message>
        <source>Save the enrollment: all the usable signatures are stored, or none.</source>
        <translation>保存登记：所有可用签名一并保存，否则一个都不保存。</translation>
    </message>
    <message>
        <source>Enroll reference pictures of a currency&apos;s notes.</source>
        <translation>登记某一币种纸币的参考图片。</translation>
    </message>
    <message>
        <source>Choose the currency, denomination and side.</source>
        <translation>选择币种、面额和面。</translation>
    </message>
    <message>
        <source>Add pictures (Ctrl+O) or a whole currency folder, then save.</source>
        <translation>添加图片（Ctrl+O）或整个币种文件夹，然后保存。</translation>
    </message>
    <message>
        <source>Read who did what, and check that no entry was changed.</source>
        <translation>查看谁做了什么，并确认没有条目被篡改。</translation>
    </message>
    <message>
        <source>Filter by user, action, account and dates, then apply.</source>
        <translation>按用户、操作、账户和日期筛选，然后应用。</translation>
    </message>
    <message>
        <source>Select a row to read the whole entry; tick Show hashes for its hashes.</source>
        <translation>选择一行查看完整条目；勾选“显示哈希”可查看其哈希。</translation>
    </message>
    <message>
        <source>Verify chain walks every entry; Export CSV writes the filtered rows.</source>
        <translation>“校验哈希链”会逐条检查所有条目；“导出 CSV”会写出筛选后的行。</translation>
    </message>
    <message>
        <source>Create users, change their roles, reset passwords, remove users.</source>
        <translation>创建用户、更改角色、重置密码、删除用户。</translation>
    </message>
    <message>
        <source>A clerk checks cheques and banknotes; a supervisor also approves paying a cheque called forged; an operator enrolls; an admin manages everything.</source>
        <translation>柜员核验支票和纸币；主管还可批准对判为伪造的支票付款；操作员负责登记；管理员管理一切。</translation>
    </message>
    <message>
        <source>Models, decision rules, store, signature zone, scanning and the idle lock.</source>
        <translation>模型、判定规则、数据库、签名区域、扫描和闲置锁定。</translation>
    </message>
    <message>
        <source>Change what is needed and press Save; every change is in the audit log.</source>
        <translation>修改所需内容后点击“保存”；每次更改都会记入审计日志。</translation>
    </message>
    <message>
        <source>Open a file on this screen</source>
        <translation>在本界面打开文件</translation>
    </message>
    <message>
        <source>Scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <source>Cancel the check that is running</source>
        <translation>取消正在进行的核验</translation>
    </message>
    <message>
        <source>Log out / switch user</source>
        <translation>退出登录 / 切换用户</translation>
    </message>
    <message>
        <source>This help</source>
        <translation>本帮助</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>(the shipped model)</source>
        <translation>（随软件提供的模型）</translation>
    </message>
    <message>
        <source>(the shipped banknote model)</source>
        <translation>（随软件提供的纸币模型）</translation>
    </message>
    <message>
        <source>An SQLite file, or postgresql://user@host:5432/database for a shared store; its password goes in PGPASSFILE</source>
        <translation>SQLite 文件，或共享数据库的 postgresql://user@host:5432/database；其密码请放在 PGPASSFILE 中</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>After this long without a key or a click the window locks and asks for the password again</source>
        <translation>超过此时间无键盘或鼠标操作，窗口将锁定并重新要求输入密码</translation>
    </message>
    <message>
        <source>The system&apos;s language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <source>The window changes to it when you save</source>
        <translation>保存后窗口即切换为该语言</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Save settings</source>
        <translation>保存设置</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Banknote model folder</source>
        <translation>纸币模型文件夹</translation>
    </message>
    <message>
        <source>Model signature</source>
        <translation>模型签名</translation>
    </message>
    <message>
        <source>Runs on</source>
        <translation>运行设备</translation>
    </message>
    <message>
        <source>Decision method</source>
        <translation>判定方法</translation>
    </message>
    <message>
        <source>Security level</source>
        <translation>安全级别</translation>
    </message>
    <message>
        <source>Signature zone (relative)</source>
        <translation>签名区域（相对位置）</translation>
    </message>
    <message>
        <source>Scan from</source>
        <translation>扫描来源</translation>
    </message>
    <message>
        <source>Scan folder</source>
        <translation>扫描文件夹</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>扫描仪</translation>
    </message>
    <message>
        <source>Scanner settings</source>
        <translation>扫描仪设置</translation>
    </message>
    <message>
        <source>Lock when idle for</source>
        <translation>空闲锁定时间</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>Store file or PostgreSQL URL (at next start)</source>
        <translation>数据库文件或 PostgreSQL 地址（下次启动生效）</translation>
    </message>
    <message>
        <source>A changed model folder or provider is loaded at once; references are re-embedded with the new model when their account is next opened.</source>
        <translation>更改模型文件夹或运行设备后立即加载；参考签名将在下次打开其账户时用新模型重新计算。</translation>
    </message>
    <message>
        <source>In use: {provider}.</source>
        <translation>当前使用：{provider}。</translation>
    </message>
    <message>
        <source>CUDA needs an NVIDIA driver and onnxruntime-gpu with its [cuda,cudnn] extras (the README&apos;s GPU install).</source>
        <translation>使用 CUDA 需要 NVIDIA 驱动以及带 [cuda,cudnn] 附加组件的 onnxruntime-gpu（见 README 的 GPU 安装说明）。</translation>
    </message>
    <message>
        <source>{far}% of skilled forgeries pass; {frr}% of genuine signatures are not passed outright (validation, {k} references)</source>
        <translation>高仿签名通过率 {far}%；{frr}% 的真实签名不能直接通过（验证集，{k} 个参考签名）</translation>
    </message>
    <message>
        <source>{far}% of skilled forgeries pass</source>
        <translation>高仿签名通过率 {far}%</translation>
    </message>
    <message>
        <source>Model {signer}.</source>
        <translation>模型{signer}。</translation>
    </message>
    <message>
        <source>No model loaded yet.</source>
        <translation>尚未加载模型。</translation>
    </message>
    <message>
        <source>Trusted keys: {keys}.</source>
        <translation>受信任密钥：{keys}。</translation>
    </message>
    <message>
        <source>This PC&apos;s administrator adds a key to {folder} (`sigdesk-keys add FILE`); the audit log records it.</source>
        <translation>本机管理员将密钥添加到 {folder}（`sigdesk-keys add FILE`）；审计日志会记录此操作。</translation>
    </message>
    <message>
        <source>NOT TRUSTED: keys {keys} in {folder}: {reason}.</source>
        <translation>不受信任：{folder} 中的密钥 {keys}：{reason}。</translation>
    </message>
    <message>
        <source>Folder: the newest image the scanner saved there</source>
        <translation>文件夹：扫描仪保存在其中的最新图像</translation>
    </message>
    <message>
        <source>Scanner (SANE)</source>
        <translation>扫描仪（SANE）</translation>
    </message>
    <message>
        <source>Scanner (SANE): install the [scanner] extra (python-sane) and SANE</source>
        <translation>扫描仪（SANE）：请安装 [scanner] 附加组件（python-sane）和 SANE</translation>
    </message>
    <message>
        <source>(the first scanner SANE finds)</source>
        <translation>（SANE 找到的第一台扫描仪）</translation>
    </message>
    <message>
        <source>Find scanners</source>
        <translation>查找扫描仪</translation>
    </message>
    <message>
        <source>List the scanners SANE sees (USB and network)</source>
        <translation>列出 SANE 能识别的扫描仪（USB 和网络）</translation>
    </message>
    <message>
        <source>Scanning from a scanner needs SANE and the app&apos;s [scanner] extra (python-sane); until then the scan folder is used.</source>
        <translation>从扫描仪扫描需要 SANE 以及本软件的 [scanner] 附加组件（python-sane）；在此之前使用扫描文件夹。</translation>
    </message>
    <message>
        <source>{dpi} dpi</source>
        <translation>{dpi} dpi</translation>
    </message>
    <message>
        <source>Grey</source>
        <translation>灰度</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>彩色</translation>
    </message>
    <message>
        <source>Document feeder (every sheet in it)</source>
        <translation>自动进纸器（扫描其中全部纸张）</translation>
    </message>
    <message>
        <source>Found: {scanners}</source>
        <translation>已找到：{scanners}</translation>
    </message>
    <message>
        <source>SANE sees no scanner: check that it is connected and switched on.</source>
        <translation>SANE 未找到扫描仪：请检查扫描仪是否已连接并开机。</translation>
    </message>
    <message>
        <source>Looking for scanners…</source>
        <translation>正在查找扫描仪…</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>The signature zone cannot be used: {problem}</source>
        <translation>无法使用该签名区域：{problem}</translation>
    </message>
    <message>
        <source>Leave the password out of the store URL (settings.json is not secret): put it in this PC&apos;s PGPASSFILE (pgpass) file.</source>
        <translation>请勿在数据库地址中包含密码（settings.json 并非保密文件）：请将密码放入本机的 PGPASSFILE（pgpass）文件。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>设置已保存。</translation>
    </message>
    <message>
        <source>Saving settings…</source>
        <translation>正在保存设置…</translation>
    </message>
</context>
<context>
    <name>SwitchUserPanel</name>
    <message>
        <source>Logged out. Log in to go on, or quit.</source>
        <translation>已退出登录。请登录以继续，或退出程序。</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
</context>
<context>
    <name>Task</name>
    <message>
        <source>Unexpected error: {kind}: {error}</source>
        <translation>意外错误：{kind}：{error}</translation>
    </message>
</context>
<context>
    <name>UsersScreen</name>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Create user</source>
        <translation>创建用户</translation>
    </message>
    <message>
        <source>Set this password for the selected user</source>
        <translation>为所选用户设置此密码</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>(select a user in the table)</source>
        <translation>（请在表格中选择用户）</translation>
    </message>
    <message>
        <source>Change role</source>
        <translation>更改角色</translation>
    </message>
    <message>
        <source>Remove user</source>
        <translation>删除用户</translation>
    </message>
    <message>
        <source>Restore user</source>
        <translation>恢复用户</translation>
    </message>
    <message>
        <source>Selected user</source>
        <translation>所选用户</translation>
    </message>
    <message>
        <source>New role</source>
        <translation>新角色</translation>
    </message>
    <message>
        <source>A role change or removal ends that user&apos;s open sessions at once.</source>
        <translation>更改角色或删除用户会立即结束该用户已打开的会话。</translation>
    </message>
    <message>
        <source>Reading users…</source>
        <translation>正在读取用户…</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>已删除</translation>
    </message>
    <message>
        <source>locked until {time}</source>
        <translation>锁定至 {time}</translation>
    </message>
    <message>
        <source>active</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>{user} ({role})</source>
        <translation>{user}（{role}）</translation>
    </message>
    <message>
        <source>{user} ({role}, removed)</source>
        <translation>{user}（{role}，已删除）</translation>
    </message>
    <message>
        <source>Creating the user…</source>
        <translation>正在创建用户…</translation>
    </message>
    <message>
        <source>Select a user first.</source>
        <translation>请先选择用户。</translation>
    </message>
    <message>
        <source>Changing the role…</source>
        <translation>正在更改角色…</translation>
    </message>
    <message>
        <source>Remove {user}? The user can no longer log in and any open session ends now. Their decisions and audit rows are kept, and an administrator can restore the user later.</source>
        <translation>删除 {user}？该用户将无法再登录，已打开的会话会立即结束。其处理决定和审计记录会保留，管理员之后可以恢复该用户。</translation>
    </message>
    <message>
        <source>Removing the user…</source>
        <translation>正在删除用户…</translation>
    </message>
    <message>
        <source>Restoring the user…</source>
        <translation>正在恢复用户…</translation>
    </message>
    <message>
        <source>Setting password…</source>
        <translation>正在设置密码…</translation>
    </message>
</context>
<context>
    <name>Widgets</name>
    <message>
        <source>Images and PDF scans</source>
        <translation>图片和 PDF 扫描件</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
    <message>
        <source>GENUINE</source>
        <translation>真实</translation>
    </message>
    <message>
        <source>NEEDS REVIEW</source>
        <translation>需复核</translation>
    </message>
    <message>
        <source>FORGED</source>
        <translation>伪造</translation>
    </message>
    <message>
        <source>SUSPECT</source>
        <translation>可疑</translation>
    </message>
    <message>
        <source>At least {n} characters, and not the user name.</source>
        <translation>至少 {n} 个字符，且不能与用户名相同。</translation>
    </message>
    <message>
        <source>Model {model} · {signer} · {status}</source>
        <translation>模型 {model} · {signer} · {status}</translation>
    </message>
</context>
<context>
    <name>Wording</name>
    <message>
        <source>CUDA disabled in the settings</source>
        <translation>设置中已停用 CUDA</translation>
    </message>
    <message>
        <source>no NVIDIA GPU or driver found</source>
        <translation>未找到 NVIDIA 显卡或驱动</translation>
    </message>
    <message>
        <source>this onnxruntime build has no CUDA support (install onnxruntime-gpu)</source>
        <translation>此 onnxruntime 版本不支持 CUDA（请安装 onnxruntime-gpu）</translation>
    </message>
    <message>
        <source>this onnxruntime build has no CUDA support</source>
        <translation>此 onnxruntime 版本不支持 CUDA</translation>
    </message>
    <message>
        <source>CUDA could not start (driver, CUDA or cuDNN version mismatch)</source>
        <translation>CUDA 无法启动（驱动、CUDA 或 cuDNN 版本不匹配）</translation>
    </message>
    <message>
        <source>CUDA could not start</source>
        <translation>CUDA 无法启动</translation>
    </message>
    <message>
        <source>shipped with the app</source>
        <translation>随软件提供</translation>
    </message>
    <message>
        <source>added by an administrator</source>
        <translation>由管理员添加</translation>
    </message>
    <message>
        <source>this process</source>
        <translation>本进程</translation>
    </message>
    <message>
        <source>automatic (CUDA when it works)</source>
        <translation>自动（可用时使用 CUDA）</translation>
    </message>
    <message>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA（NVIDIA 显卡）</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>distance to the references</source>
        <translation>与参考签名的距离</translation>
    </message>
    <message>
        <source>per-holder SVM</source>
        <translation>按账户持有人的 SVM</translation>
    </message>
    <message>
        <source>distance, normalised against other writers</source>
        <translation>距离（按其他书写人归一化）</translation>
    </message>
    <message>
        <source>fusion of distance and SVM</source>
        <translation>距离与 SVM 融合</translation>
    </message>
    <message>
        <source>unsigned</source>
        <translation>未签名</translation>
    </message>
    <message>
        <source>DEMO-signed (not for production)</source>
        <translation>DEMO 签名（不可用于生产）</translation>
    </message>
    <message>
        <source>signed: {label}</source>
        <translation>签名方：{label}</translation>
    </message>
    <message>
        <source>not signature-checked</source>
        <translation>未核验签名</translation>
    </message>
    <message>
        <source>signed by DEMO key {key}… (a public demo key anyone can sign with: not for production)</source>
        <translation>由 DEMO 密钥 {key}… 签名（任何人都可使用的公开演示密钥：不可用于生产）</translation>
    </message>
    <message>
        <source>signed by {label} key {key}…</source>
        <translation>由 {label} 密钥 {key}… 签名</translation>
    </message>
    <message>
        <source>DEMO key {label} {key} ({origin})</source>
        <translation>DEMO 密钥 {label} {key}（{origin}）</translation>
    </message>
    <message>
        <source>; </source>
        <comment>between the items of a list</comment>
        <translation>；</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>{device}: {reason}</source>
        <translation>{device}：{reason}</translation>
    </message>
    <message>
        <source>{device} (asked for: {requested})</source>
        <translation>{device}（设置为：{requested}）</translation>
    </message>
    <message>
        <source>{text}: {reason}</source>
        <translation>{text}：{reason}</translation>
    </message>
    <message>
        <source>onnxruntime {version}; this build offers: {devices}</source>
        <translation>onnxruntime {version}；此版本支持：{devices}</translation>
    </message>
    <message>
        <source>{file}: {problem}</source>
        <translation>{file}：{problem}</translation>
    </message>
</context>
<context>
    <name>sigdesk</name>
    <message>
        <source>Settings not read</source>
        <translation>未能读取设置</translation>
    </message>
    <message>
        <source>{problem}
The defaults are used; the file is left as it is.</source>
        <translation>{problem}
将使用默认设置；该文件保持不变。</translation>
    </message>
    <message>
        <source>Cannot start</source>
        <translation>无法启动</translation>
    </message>
    <message>
        <source>Settings overruled</source>
        <translation>设置已被覆盖</translation>
    </message>
</context>
</TS>
